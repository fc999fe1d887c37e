package io.inkflow.common.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HealthServerTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesMetricsHealthAndReadinessOnOnePort() throws Exception {
    ServiceHealth health = new ServiceHealth();
    AtomicReference<Optional<String>> ready = new AtomicReference<>(Optional.of("streams is REBALANCING"));
    health.readyWhen(ready::get);
    try (HealthServer server = HealthServer.start("test", HttpSettings.ephemeral(), () -> "up 1.0\n", health)) {
      int port = server.port();
      assertThat(port).isPositive();
      HttpResponse<String> metrics = get(port, "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).isEqualTo("up 1.0\n");
      assertThat(metrics.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
      assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);

      HttpResponse<String> unready = get(port, "/readyz");
      assertThat(unready.statusCode()).isEqualTo(503);
      assertThat(unready.body()).contains("streams is REBALANCING");

      health.problem("topics", "topic t is missing");
      ready.set(Optional.empty());
      assertThat(get(port, "/readyz").body()).as("a recorded problem wins over the live condition").contains("topic t is missing");
      health.resolved("topics");
      assertThat(get(port, "/readyz").statusCode()).isEqualTo(200);

      health.liveWhen(() -> Optional.of("no stream thread left"));
      HttpResponse<String> dead = get(port, "/healthz");
      assertThat(dead.statusCode()).isEqualTo(503);
      assertThat(dead.body()).contains("no stream thread left");
    }
  }

  @Test
  void portZeroServesNothingAndCloseReleasesThePortAndThread() throws Exception {
    try (HealthServer none = HealthServer.start("off", HttpSettings.none(), () -> "", new ServiceHealth())) {
      assertThat(none.port()).isZero();
    }
    HealthServer server = HealthServer.start("closing", HttpSettings.ephemeral(), () -> "", new ServiceHealth());
    int port = server.port();
    server.close();
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("closing-http") && t.isAlive());
    // The same port can be bound again once closed.
    try (HealthServer again = HealthServer.start("again", new HttpSettings("127.0.0.1", port), () -> "", new ServiceHealth())) {
      assertThat(again.port()).isEqualTo(port);
    }
  }
}
