package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class PrometheusEndpointTest {
  @Test
  void servesTheWorkerMetersOnLoopback() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    try (PrometheusEndpoint endpoint = PrometheusEndpoint.start(port, "w-1")) {
      WorkerMetrics m = endpoint.workerMetrics();
      m.gauges(() -> 7, () -> 2);
      m.batch(4, 200_000_000L);
      m.image(1_000_000, 2_000_000, 3_000_000, 4_000_000);
      m.retry("upload");
      m.deadLettered("PACK_MISMATCH");
      HttpResponse<String> response = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body())
          .contains("inkflow_worker_images_total{worker=\"w-1\"} 1.0")
          .contains("inkflow_worker_batch_size_count")
          .contains("inkflow_worker_stage_seconds_count{stage=\"upload\",worker=\"w-1\"} 1")
          .contains("inkflow_worker_jobs_in_flight{worker=\"w-1\"} 7.0")
          .contains("inkflow_worker_retries_total")
          .contains("inkflow_worker_dead_letters_total{code=\"PACK_MISMATCH\",worker=\"w-1\"} 1.0")
          .contains("inkflow_worker_accelerator_busy");
      assertThat(endpoint.meters().busyFraction()).isGreaterThan(0);
    }
  }
}
