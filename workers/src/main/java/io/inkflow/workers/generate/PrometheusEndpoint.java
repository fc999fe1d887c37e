package io.inkflow.workers.generate;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A Prometheus registry with the worker's meters, served at {@code http://127.0.0.1:port/metrics} (no server when port is 0). */
public final class PrometheusEndpoint implements AutoCloseable {
  private final PrometheusMeterRegistry registry;
  private final MicrometerWorkerMetrics metrics;
  private final HttpServer server;

  private PrometheusEndpoint(PrometheusMeterRegistry registry, HttpServer server) {
    this.registry = registry;
    this.metrics = new MicrometerWorkerMetrics(registry);
    this.server = server;
  }

  /**
   * @param port port on 127.0.0.1, or 0 for no HTTP server (meters are still kept)
   * @param workerId common tag of every meter
   */
  public static PrometheusEndpoint start(int port, String workerId) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags("worker", workerId);
    HttpServer server = null;
    if (port > 0) {
      try {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
      } catch (IOException e) {
        registry.close();
        throw new UncheckedIOException("metrics port 127.0.0.1:" + port + " cannot be bound", e);
      }
      server.createContext("/metrics", exchange -> {
        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      });
      server.start();
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
    return server == null ? 0 : server.getAddress().getPort();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
    }
    registry.close();
  }
}
