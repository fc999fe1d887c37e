package io.inkflow.api;

import io.inkflow.api.auth.ApiTokens;
import io.inkflow.api.auth.RateLimiter;
import io.inkflow.api.console.ConsoleRoutes;
import io.inkflow.api.console.KafkaLabelSink;
import io.inkflow.api.http.ApiServer;
import io.inkflow.api.http.OpenApiRoutes;
import io.inkflow.api.http.RouteGroup;
import io.inkflow.api.submit.KafkaSubmissionSink;
import io.inkflow.api.submit.SubmissionRoutes;
import io.inkflow.api.view.ApiView;
import io.inkflow.api.view.ImageLinks;
import io.inkflow.api.view.ResultRoutes;
import io.inkflow.api.view.TopicViewLoader;
import io.inkflow.api.webhook.CallbackGuard;
import io.inkflow.api.webhook.KafkaDeliveryLog;
import io.inkflow.api.webhook.WebhookDispatcher;
import io.inkflow.api.webhook.WebhookSigner;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.S3Clients;
import io.inkflow.streams.rewrite.PackPlanner;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * The API service wired to Kafka and S3: the topic view, the submission sink (one transaction per call),
 * the webhook dispatcher (started once the view has caught up) and the HTTP server with its route groups,
 * the web console ({@code /console/}) among them.
 * Everything it starts it closes, in reverse order. More route groups (console pages, labelling) are
 * passed in by whoever starts it.
 */
public final class ApiService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiService.class);

  private final List<AutoCloseable> owned = new ArrayList<>();
  private final ApiView view = new ApiView();
  private final TopicViewLoader loader;
  private final WebhookDispatcher dispatcher;
  private final ApiServer server;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  private ApiService(ApiConfig config, Topics topics, Clock clock, List<RouteGroup> extraGroups) throws IOException {
    try {
      Map<String, Object> client = new HashMap<>(config.clientOverrides());
      client.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
      ApiTokens tokens = ApiTokens.read(config.tokensFile(), config.tokenPepper());
      if (tokens.size() == 0) {
        LOG.warn("{} holds no token: every call that needs one answers 401", config.tokensFile());
      }
      PackPlanner planner = own(PackPlanner.open(config.packDir(), config.peLimits()));
      S3Presigner presigner = own(S3Clients.presigner(config.s3()));
      KafkaSubmissionSink sink = own(new KafkaSubmissionSink(client, "inkflow-api-" + config.instanceId(), topics));
      KafkaDeliveryLog deliveryLog = own(new KafkaDeliveryLog(client, topics));
      Map<String, Object> consumerProps = new HashMap<>(client);
      consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      loader = own(new TopicViewLoader(new KafkaConsumer<>(consumerProps, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
          topics, view)).start();
      CallbackGuard guard = new CallbackGuard(config.webhookAllowedHosts(), config.webhookAllowPrivate());
      ImageLinks links = ImageLinks.presigned(presigner, config.linkExpiry(), clock);
      ResultRoutes results = new ResultRoutes(view, links, loader::notReady);
      KafkaLabelSink labels = own(new KafkaLabelSink(client, topics));
      RateLimiter limiter = new RateLimiter(config.ratePerMinute(), clock);
      if (config.webhookSecret() != null) {
        ExecutorService pool = WebhookDispatcher.attemptPool(config.webhookThreads());
        owned.add(pool::shutdownNow);
        dispatcher = own(new WebhookDispatcher(view, guard, new WebhookSigner(config.webhookSecret()), deliveryLog,
            WebhookDispatcher.httpTransport(config.webhookTimeout()), clock, new WebhookDispatcher.Settings(config.webhookBackoff(),
            config.webhookBackoffMax(), config.webhookRetryWindow(), config.webhookTimeout()), results::eventData, pool, metrics));
      } else {
        dispatcher = null;
      }
      SubmissionRoutes submissions = new SubmissionRoutes(view, sink, planner, guard, config.webhookSecret() != null,
          new SubmissionRoutes.Limits(config.maxBodyBytes(), config.maxRows()), clock, metrics);
      List<RouteGroup> groups = new ArrayList<>(List.of(new OpenApiRoutes(), submissions, results,
          new ConsoleRoutes(view, tokens, limiter, submissions, links, labels, config.labels(), clock, loader::notReady)));
      groups.addAll(extraGroups);
      server = own(ApiServer.start(config.bind(), config.port(), tokens, limiter, groups, metrics));
      if (dispatcher != null) {
        Thread starter = new Thread(() -> startDeliveriesWhenCaughtUp(Duration.ofMillis(250)), "api-webhooks-start");
        starter.setDaemon(true);
        starter.start();
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /** Starts the service; {@code extraGroups} are registered after the API's own routes. */
  public static ApiService start(ApiConfig config, Topics topics, Clock clock, List<RouteGroup> extraGroups) throws IOException {
    return new ApiService(config, topics, clock, extraGroups);
  }

  private void startDeliveriesWhenCaughtUp(Duration interval) {
    // Deliveries wait for the view: a delivery recorded before a restart must be read before anything is sent.
    while (!loader.caughtUp()) {
      if (loader.notReady().filter(s -> s.startsWith("the topic view stopped")).isPresent()) {
        return;
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
    dispatcher.start(interval);
    LOG.info("webhook deliveries started");
  }

  private <T extends AutoCloseable> T own(T resource) {
    owned.add(resource);
    return resource;
  }

  public int port() {
    return server.port();
  }

  /** The Prometheus text of the service's meters (calls by route and status, submissions, webhook attempts). */
  public String scrape() {
    return metrics.scrape();
  }

  public ApiView view() {
    return view;
  }

  /** Why the service is not ready, if it is not (the view has not caught up). */
  public Optional<String> notReady() {
    return loader == null ? Optional.of("starting") : loader.notReady();
  }

  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        LOG.warn("closing {} failed: {}", owned.get(i).getClass().getSimpleName(), e.toString());
      }
    }
    owned.clear();
  }
}
