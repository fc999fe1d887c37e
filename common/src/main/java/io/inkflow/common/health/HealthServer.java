package io.inkflow.common.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's one HTTP port: {@code /metrics} (Prometheus text format), {@code /healthz} (200 while the
 * process is alive) and {@code /readyz} (200 when ready, 503 with the reasons otherwise). The JDK's own
 * server on one daemon thread: probes and scrapes are small and rare.
 */
public final class HealthServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);
  private static final String TEXT = "text/plain; charset=utf-8";
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor;

  private HealthServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Binds {@code settings.bind():settings.port()} and starts serving; with port 0 nothing is bound and
   * {@link #port()} is 0 (tests pass {@link HttpSettings#ephemeral()} for a free port).
   *
   * @param metrics the Prometheus scrape text, asked on every {@code /metrics} request
   */
  public static HealthServer start(String service, HttpSettings settings, Supplier<String> metrics, ServiceHealth health) {
    if (settings.port() == 0) {
      return new HealthServer(null, null);
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(settings.bind(), Math.max(settings.port(), 0)), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(service + ": HTTP port " + settings.bind() + ":" + settings.port() + " cannot be bound", e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, service + "-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/metrics", exchange -> reply(exchange, 200, PROMETHEUS_TEXT, metrics.get()));
    server.createContext("/healthz", exchange -> answer(exchange, health.notLive(), "alive"));
    server.createContext("/readyz", exchange -> answer(exchange, health.notReady(), "ready"));
    server.start();
    LOG.info("{}: /metrics, /healthz and /readyz on http://{}:{}", service, settings.bind(), server.getAddress().getPort());
    return new HealthServer(server, executor);
  }

  private static void answer(HttpExchange exchange, Optional<String> problem, String ok) throws IOException {
    if (problem.isPresent()) {
      reply(exchange, 503, TEXT, problem.get() + "\n");
    } else {
      reply(exchange, 200, TEXT, ok + "\n");
    }
  }

  private static void reply(HttpExchange exchange, int status, String contentType, String text) throws IOException {
    try (exchange) {
      byte[] body = text.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", contentType);
      if ("HEAD".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
      throw e;
    }
  }

  /** The bound port, or 0 when no server runs. */
  public int port() {
    return server == null ? 0 : server.getAddress().getPort();
  }

  /** Stops accepting, lets a running exchange end for up to a second, and releases the thread. */
  @Override
  public void close() {
    if (server == null) {
      return;
    }
    server.stop(1);
    executor.shutdown();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
