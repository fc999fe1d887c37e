package io.inkflow.streams.common;

import io.inkflow.common.health.HealthServer;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.common.health.ServiceHealth;
import io.inkflow.common.health.StartupCheck;
import io.inkflow.common.health.StartupGate;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KafkaStreams.State;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One streams app with its HTTP port: start-up checks (topics, registry) that hold it unready instead of
 * crash-looping, then the topology; {@code /metrics} with the Streams client metrics and the app's own
 * sensors; {@code /healthz} and {@code /readyz}.
 *
 * <p>Ready once the checks passed and the instance has reached RUNNING; it stays ready through later
 * rebalances (REBALANCING), which scaling and rolling restarts cause routinely and which a probe should
 * not turn into flapping. Not ready while starting, after an error, or while shutting down. Alive unless
 * the instance is in ERROR (every stream thread dead) or stopped without being asked to.
 */
public final class StreamsService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsService.class);
  /** How long a close waits for in-flight work before giving up. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private final String name;
  private final String runningMessage;
  private final List<AutoCloseable> resources;
  private final ServiceHealth health = new ServiceHealth();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final KafkaStreams streams;
  private final StartupGate gate;
  private final HttpSettings http;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicBoolean reachedRunning = new AtomicBoolean();
  private volatile KafkaStreamsMetrics streamsMetrics;
  /** Guards the one binding of the Streams metrics (several stream threads report state changes). */
  private final Object bindLock = new Object();
  private HealthServer server;
  private Thread starter;

  /**
   * @param name the app's name, for logs, threads and the {@code app} tag of every meter
   * @param checks what must hold before the topology starts
   * @param resources what the app opened for the topology (models, clients), closed after the streams, last first
   */
  public StreamsService(String name, Topology topology, Properties props, String runningMessage, HttpSettings http,
      List<StartupCheck> checks, List<AutoCloseable> resources) {
    this.name = name;
    this.runningMessage = runningMessage;
    this.resources = List.copyOf(resources);
    this.http = http;
    this.gate = new StartupGate(name, checks, health);
    registry.config().commonTags("app", name);
    streams = new KafkaStreams(topology, props);
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("{}: stream thread failed; replacing it", name, e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener(this::onStateChange);
    health.readyWhen(this::notReady);
    health.liveWhen(this::notLive);
  }

  private void onStateChange(State now, State before) {
    LOG.info("{}: {} -> {}", name, before, now);
    synchronized (bindLock) {
      bindOnFirstRunning(now);
    }
  }

  private void bindOnFirstRunning(State now) {
    if (now == State.RUNNING && streamsMetrics == null) {
      // Bound once the tasks exist, so their sensors (the app's own counters) are listed from the first
      // scrape; the binder picks up metrics added later on its own refresh. Ready only once bound, so that
      // a ready instance's scrape is complete.
      KafkaStreamsMetrics binder = new KafkaStreamsMetrics(streams, Tags.empty());
      binder.bindTo(registry);
      streamsMetrics = binder;
      reachedRunning.set(true);
      LOG.info("{}", runningMessage);
    }
  }

  private Optional<String> notReady() {
    State state = streams.state();
    if (closing.get()) {
      return Optional.of(name + " is shutting down");
    }
    if (!reachedRunning.get()) {
      return Optional.of(name + " is " + state + ", waiting for RUNNING");
    }
    return state == State.RUNNING || state == State.REBALANCING ? Optional.empty()
        : Optional.of(name + " is " + state);
  }

  private Optional<String> notLive() {
    State state = streams.state();
    if (state == State.ERROR || state == State.PENDING_ERROR) {
      return Optional.of(name + " is " + state + ": no stream thread left");
    }
    if (state == State.NOT_RUNNING && !closing.get() && reachedRunning.get()) {
      return Optional.of(name + " stopped unasked");
    }
    return Optional.empty();
  }

  /** Serves the HTTP port, then runs the start-up checks and starts the topology on a thread of its own. */
  public synchronized StreamsService start() {
    server = HealthServer.start(name, http, registry::scrape, health);
    starter = new Thread(() -> {
      if (gate.await(closing::get)) {
        synchronized (this) {
          if (!closing.get()) {
            streams.start();
          }
        }
      }
    }, name + "-start");
    starter.setDaemon(true);
    starter.start();
    return this;
  }

  /** The bound HTTP port, 0 when none. */
  public int httpPort() {
    return server == null ? 0 : server.port();
  }

  public ServiceHealth health() {
    return health;
  }

  public KafkaStreams streams() {
    return streams;
  }

  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  /** Leaves the group, closes the streams with a timeout, then the app's resources (last first) and the HTTP port. */
  @Override
  public void close() {
    synchronized (this) {
      closing.set(true);
    }
    if (starter != null) {
      starter.interrupt();
      try {
        starter.join(CLOSE_TIMEOUT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // Leave the group so the remaining instances take over at once instead of after the session timeout.
    streams.close(CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    KafkaStreamsMetrics binder = streamsMetrics;
    if (binder != null) {
      binder.close();
    }
    List<AutoCloseable> reversed = new ArrayList<>(resources);
    Collections.reverse(reversed);
    for (AutoCloseable r : reversed) {
      try {
        r.close();
      } catch (Exception e) {
        LOG.warn("{}: closing {} failed: {}", name, r, e.toString());
      }
    }
    if (server != null) {
      server.close();
    }
    registry.close();
  }
}
