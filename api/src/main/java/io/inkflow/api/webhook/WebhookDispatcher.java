package io.inkflow.api.webhook;

import io.inkflow.api.http.Json;
import io.inkflow.api.view.ApiView;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookState;
import io.inkflow.common.LogText;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers completion events to callback URLs, at least once. The pending set is not kept anywhere of its
 * own: it is every subscription on {@code webhook-deliveries} (as the {@link ApiView} holds it) that is
 * REGISTERED with a completed subject, or RETRYING and due. So a kill loses nothing: the restarted API
 * rebuilds the view from the topic and finds the same deliveries due.
 *
 * <p>Each attempt POSTs the event (the same body and event id every time), signed with
 * {@link WebhookSigner}, through the {@link CallbackGuard} again (DNS may have changed), with a timeout and
 * no redirects; its outcome is recorded on {@code webhook-deliveries} before the next one is planned. A
 * failed attempt is retried after {@code backoff * 2^(attempt-1)} (capped) until the retry window, counted
 * from the first attempt, has passed; then the subscription is recorded GAVE_UP (still on the topic, with
 * its last error). Attempts run on their own threads, so a slow or dead receiver never holds up the API or
 * the pipeline. Time comes from an injectable {@link Clock}: {@link #tick()} delivers what is due now.
 */
public final class WebhookDispatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookDispatcher.class);

  /** Where attempts are recorded durably ({@code webhook-deliveries}); returns once the record is acknowledged. */
  public interface DeliveryLog {
    void record(String key, WebhookDelivery delivery) throws Exception;
  }

  /** Sends one POST; returns the HTTP status. */
  public interface Transport {
    int post(URI uri, byte[] body, Map<String, String> headers, Duration timeout) throws IOException, InterruptedException;
  }

  /**
   * Retry policy.
   *
   * @param backoff delay after the first failed attempt, doubled after each further one
   * @param backoffMax longest delay between attempts
   * @param retryWindow how long after the first attempt failures are still retried
   * @param timeout one attempt's connect + answer deadline
   */
  public record Settings(Duration backoff, Duration backoffMax, Duration retryWindow, Duration timeout) {
    /** The delay after failed attempt {@code attempt} (1-based). */
    public Duration delayAfter(int attempt) {
      Duration d = backoff;
      for (int i = 1; i < attempt && d.compareTo(backoffMax) < 0; i++) {
        d = d.multipliedBy(2);
      }
      return d.compareTo(backoffMax) > 0 ? backoffMax : d;
    }
  }

  private final ApiView view;
  private final CallbackGuard guard;
  private final WebhookSigner signer;
  private final DeliveryLog log;
  private final Transport transport;
  private final Clock clock;
  private final Settings settings;
  private final Function<WebhookDelivery, Optional<Object>> eventData;
  private final Executor attempts;
  private final MeterRegistry metrics;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean stop = new AtomicBoolean();
  private Thread ticker;

  /**
   * @param eventData the event's {@code data} for a subscription whose subject has completed, empty while it has not
   * @param attempts runs attempts (a thread pool in the service; the calling thread in tests)
   */
  public WebhookDispatcher(ApiView view, CallbackGuard guard, WebhookSigner signer, DeliveryLog log, Transport transport,
      Clock clock, Settings settings, Function<WebhookDelivery, Optional<Object>> eventData, Executor attempts, MeterRegistry metrics) {
    this.view = view;
    this.guard = guard;
    this.signer = signer;
    this.log = log;
    this.transport = transport;
    this.clock = clock;
    this.settings = settings;
    this.eventData = eventData;
    this.attempts = attempts;
    this.metrics = metrics;
  }

  /** The JDK HTTP client as transport: no redirects (a redirect could lead past the guard), the body discarded. */
  public static Transport httpTransport(Duration connectTimeout) {
    HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(connectTimeout).build();
    return (uri, body, headers, timeout) -> {
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).POST(HttpRequest.BodyPublishers.ofByteArray(body));
      headers.forEach(b::header);
      return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    };
  }

  /** Ticks every {@code interval} on a daemon thread until {@link #close()}. */
  public void start(Duration interval) {
    Thread t = new Thread(() -> {
      while (!stop.get()) {
        try {
          tick();
          Thread.sleep(interval.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (RuntimeException e) {
          LOG.error("webhook tick failed; retrying on the next tick", e);
        }
      }
    }, "api-webhooks");
    t.setDaemon(true);
    ticker = t;
    t.start();
  }

  /** Starts an attempt for every subscription due now; returns how many were started. */
  public int tick() {
    Instant now = clock.instant();
    int started = 0;
    for (Map.Entry<String, WebhookDelivery> e : view.deliveries().entrySet()) {
      String key = e.getKey();
      WebhookDelivery d = e.getValue();
      if (!due(d, now) || !inFlight.add(key)) {
        continue;
      }
      Optional<Object> data = eventData.apply(d);
      if (data.isEmpty()) {
        inFlight.remove(key);
        continue;
      }
      started++;
      try {
        attempts.execute(() -> {
          try {
            attempt(key, d, data.get());
          } finally {
            inFlight.remove(key);
          }
        });
      } catch (RuntimeException rejected) {
        inFlight.remove(key);
        throw rejected;
      }
    }
    return started;
  }

  private static boolean due(WebhookDelivery d, Instant now) {
    return switch (d.getState()) {
      case REGISTERED -> true;
      case RETRYING -> d.getNextAttemptAt() == null || !d.getNextAttemptAt().isAfter(now);
      case DELIVERED, GAVE_UP -> false;
    };
  }

  /** The event POSTed for {@code d}: its id, type, creation time and data. */
  static byte[] eventBody(WebhookDelivery d, Object data) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("id", d.getEventId());
    event.put("type", d.getKind().name().toLowerCase(Locale.ROOT) + ".completed");
    event.put("subjectId", d.getSubjectId());
    event.put("data", data);
    return Json.bytes(event);
  }

  private void attempt(String key, WebhookDelivery d, Object data) {
    Instant now = clock.instant();
    int attempt = d.getAttempt() + 1;
    byte[] body = eventBody(d, data);
    Integer status = null;
    String error = null;
    try {
      URI uri = guard.check(d.getCallbackUrl());
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("Content-Type", "application/json");
      headers.put("User-Agent", "inkflow-webhooks/1");
      headers.put("Inkflow-Event-Id", d.getEventId());
      headers.put(WebhookSigner.HEADER, signer.sign(body, now));
      status = transport.post(uri, body, headers, settings.timeout());
      if (status < 200 || status >= 300) {
        error = "HTTP " + status;
      }
    } catch (IllegalArgumentException e) {
      error = "refused: " + e.getMessage();
    } catch (IOException e) {
      error = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    Instant first = d.getFirstAttemptAt() != null ? d.getFirstAttemptAt() : now;
    WebhookDelivery.Builder next = WebhookDelivery.newBuilder(d).setAttempt(attempt).setHttpStatus(status).setError(error)
        .setFirstAttemptAt(first).setAttemptedAt(now).setNextAttemptAt(null);
    if (error == null) {
      next.setState(WebhookState.DELIVERED);
    } else if (!now.isBefore(first.plus(settings.retryWindow()))) {
      next.setState(WebhookState.GAVE_UP);
    } else {
      next.setState(WebhookState.RETRYING).setNextAttemptAt(now.plus(settings.delayAfter(attempt)));
    }
    WebhookDelivery recorded = next.build();
    try {
      log.record(key, recorded);
    } catch (Exception e) {
      // Not recorded: the state stays as it was, so the delivery is attempted again (receivers dedupe on the event id).
      LOG.warn("webhook {} attempt {} could not be recorded; it will be repeated: {}", LogText.of(key), attempt, e.toString());
      metrics.counter("inkflow.api.webhook.attempts", "outcome", "unrecorded").increment();
      return;
    }
    metrics.counter("inkflow.api.webhook.attempts", "outcome", recorded.getState().name().toLowerCase(Locale.ROOT)).increment();
    view.apply(key, recorded);
    if (recorded.getState() == WebhookState.DELIVERED) {
      LOG.info("webhook {} delivered on attempt {}", LogText.of(key), attempt);
    } else {
      LOG.info("webhook {} attempt {} failed ({}); {}", LogText.of(key), attempt, LogText.of(error),
          recorded.getState() == WebhookState.GAVE_UP ? "retry window over, given up" : "next at " + recorded.getNextAttemptAt());
    }
  }

  /** A pool for attempts: {@code threads} daemon threads. */
  public static ExecutorService attemptPool(int threads) {
    return Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "api-webhook-attempt");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public void close() {
    stop.set(true);
    Thread t = ticker;
    if (t != null) {
      t.interrupt();
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
