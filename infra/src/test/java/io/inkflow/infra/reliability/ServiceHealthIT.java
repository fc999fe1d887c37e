package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.PromptRequest;
import io.inkflow.infra.health.DashboardMetrics;
import io.inkflow.infra.health.MetricNames;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import io.inkflow.streams.scoring.ScoringApp;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three services as processes, each with its HTTP port: all become ready (a second worker with no
 * partition of the one-partition jobs topic included), and after a batch their scrapes hold every
 * metric the Grafana dashboard reads (kafka-exporter's lag aside).
 */
class ServiceHealthIT {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir static Path dir;
  static Pipeline pipeline;
  static final Map<String, Integer> PORTS = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    // One partition: of two workers, one gets nothing and must still be ready.
    pipeline = Pipeline.start(dir, LocalStackConfig.ephemeral().withTopicPrefix("health-it.").withPartitions(1))
        .withEnv(Map.of("INKFLOW_TOPIC_PARTITIONS", "1"));
    for (String s : List.of(Pipeline.PE, Pipeline.SCORING, Pipeline.WORKER, "worker-2")) {
      PORTS.put(s, freePort());
    }
    pipeline.start(Pipeline.PE, PromptRewriteApp.class, Map.of("INKFLOW_STATE_DIR", dir.resolve("state-pe").toString(),
        "INKFLOW_PE_HTTP_PORT", PORTS.get(Pipeline.PE).toString()), Pipeline.HEAP);
    pipeline.start(Pipeline.SCORING, ScoringApp.class, Map.of("INKFLOW_STATE_DIR", dir.resolve("state-scoring").toString(),
        "INKFLOW_SCORING_HTTP_PORT", PORTS.get(Pipeline.SCORING).toString()), Pipeline.HEAP);
    // The first worker through the variable's former name, which is still read.
    pipeline.startWorker(Pipeline.WORKER, Map.of("INKFLOW_WORKER_METRICS_PORT", PORTS.get(Pipeline.WORKER).toString()));
    pipeline.startWorker("worker-2", Map.of("INKFLOW_WORKER_HTTP_PORT", PORTS.get("worker-2").toString()));
  }

  @AfterAll
  static void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static HttpResponse<String> get(String service, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + PORTS.get(service) + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static int status(String service, String path) {
    try {
      return get(service, path).statusCode();
    } catch (Exception e) {
      return -1; // not listening yet
    }
  }

  /** The value of the first sample of {@code name} in a scrape. */
  static double sample(String scrape, String name) {
    return scrape.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void everyServiceIsReadyAndServesWhatTheDashboardReads() throws Exception {
    for (String service : PORTS.keySet()) {
      await(service + " ready").pollInterval(Duration.ofMillis(500)).atMost(Duration.ofMinutes(3))
          .until(() -> status(service, "/readyz") == 200);
      assertThat(status(service, "/healthz")).as(service + " /healthz").isEqualTo(200);
    }
    double assigned = sample(get(Pipeline.WORKER, "/metrics").body(), "kafka_consumer_coordinator_assigned_partitions")
        + sample(get("worker-2", "/metrics").body(), "kafka_consumer_coordinator_assigned_partitions");
    assertThat(assigned).as("one partition between two ready workers: one of them has none").isEqualTo(1.0);

    String batch = "health-it";
    List<PromptRequest> requests = Pipeline.requests(batch, 3, 2);
    pipeline.submit(batch, requests);
    pipeline.awaitBatch(batch, Duration.ofMinutes(4));

    Set<String> exposed = new TreeSet<>();
    Map<String, String> scrapes = new LinkedHashMap<>();
    for (String service : PORTS.keySet()) {
      HttpResponse<String> r = get(service, "/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
      scrapes.put(service, r.body());
      exposed.addAll(MetricNames.of(r.body()));
    }
    assertThat(scrapes.get(Pipeline.PE)).contains("kafka_stream_thread_", "kafka_stream_inkflow_pe_requests_accepted_total");
    assertThat(scrapes.get(Pipeline.SCORING)).contains("kafka_stream_thread_", "kafka_stream_inkflow_scoring_images_scored_total",
        "kafka_stream_inkflow_scoring_bad_cases_total");
    assertThat(sample(scrapes.get(Pipeline.SCORING), "kafka_stream_inkflow_scoring_images_scored_total")).isEqualTo(6.0);
    assertThat(scrapes.get(Pipeline.WORKER)).contains("inkflow_worker_images_total", "kafka_consumer_fetch_manager_records_lag_max");

    Set<String> read = DashboardMetrics.read(DashboardMetrics.DASHBOARD);
    assertThat(read).isNotEmpty();
    Set<String> missing = new TreeSet<>(read);
    missing.removeAll(exposed);
    missing.removeAll(DashboardMetrics.EXTERNAL);
    assertThat(missing).as("dashboard metrics no service exposes").isEmpty();
  }
}
