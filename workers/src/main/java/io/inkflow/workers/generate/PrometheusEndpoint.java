package io.inkflow.workers.generate;

import io.inkflow.common.health.HealthServer;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.common.health.ServiceHealth;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Optional;

/**
 * A Prometheus registry with the worker's meters, served with the worker's {@code /healthz} and
 * {@code /readyz} on one port ({@link HealthServer}; no server when the port is 0).
 */
public final class PrometheusEndpoint implements AutoCloseable {
  private final PrometheusMeterRegistry registry;
  private final MicrometerWorkerMetrics metrics;
  private final HealthServer server;

  private PrometheusEndpoint(PrometheusMeterRegistry registry, HealthServer server) {
    this.registry = registry;
    this.metrics = new MicrometerWorkerMetrics(registry);
    this.server = server;
  }

  /**
   * @param port port on 127.0.0.1, or 0 for no HTTP server (meters are still kept); health always answers ready
   * @param workerId common tag of every meter
   */
  public static PrometheusEndpoint start(int port, String workerId) {
    ServiceHealth health = new ServiceHealth();
    health.readyWhen(Optional::empty);
    return start(new HttpSettings("127.0.0.1", port), workerId, health);
  }

  /**
   * @param http where to serve; port 0: no HTTP server (meters are still kept)
   * @param workerId common tag of every meter
   * @param health what {@code /healthz} and {@code /readyz} answer
   */
  public static PrometheusEndpoint start(HttpSettings http, String workerId, ServiceHealth health) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("worker", workerId);
    HealthServer server;
    try {
      server = HealthServer.start("worker " + workerId, http, registry::scrape, health);
    } catch (RuntimeException e) {
      registry.close();
      throw e;
    }
    return new PrometheusEndpoint(registry, server);
  }

  public WorkerMetrics workerMetrics() {
    return metrics;
  }

  public MicrometerWorkerMetrics meters() {
    return metrics;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The bound port, or 0 when no server runs. */
  public int port() {
    return server.port();
  }

  @Override
  public void close() {
    server.close();
    registry.close();
  }
}
