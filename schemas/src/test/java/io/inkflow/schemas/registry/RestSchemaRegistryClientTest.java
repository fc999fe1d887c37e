package io.inkflow.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.inkflow.avro.PromptRequest;
import io.inkflow.schemas.serde.AvroSerializer;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The client alone; against a registry that answers, see infra's EmbeddedSchemaRegistryTest. */
class RestSchemaRegistryClientTest {

  @Test
  void aFreshSerializerAgainstAnUnreachableRegistryRetriesWithBackoffThenFailsClearly() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    Map<String, Object> config = Map.of(
        RegistryClientConfig.URL, "http://127.0.0.1:" + deadPort,
        RegistryClientConfig.RETRY_BACKOFF_MS, 50,
        RegistryClientConfig.RETRY_BACKOFF_MAX_MS, 400,
        RegistryClientConfig.RETRY_TIMEOUT_MS, 1500);
    PromptRequest request = PromptRequest.newBuilder().setRequestId("r-1").setPrompt("a red circle").setNumImages(1)
        .setSubmittedAt(Instant.EPOCH).build();
    AvroSerializer<PromptRequest> serializer = new AvroSerializer<>(PromptRequest.class);
    serializer.configure(config, false);
    long start = System.nanoTime();
    Throwable thrown = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      try {
        serializer.serialize("prompt-requests", request);
        return null;
      } catch (RuntimeException e) {
        return e;
      }
    });
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    assertThat(thrown).isInstanceOf(SchemaRegistryUnavailableException.class)
        .hasMessageContaining("127.0.0.1:" + deadPort)
        .hasMessageContaining("unreachable")
        .hasMessageContaining("within 1500 ms");
    // Several attempts with growing pauses, within the deadline plus one request's slack.
    assertThat(thrown.getMessage()).containsPattern("failed ([3-9]|\\d\\d) time");
    assertThat(elapsedMs).isBetween(1400L, 8000L);
    serializer.close();
  }

  @Test
  void configIsCheckedAndNeverLeaksThePassword() {
    assertThatThrownBy(() -> RegistryClientConfig.fromMap(Map.of()))
        .hasMessageContaining("missing schema.registry.url");
    assertThatThrownBy(() -> RegistryClientConfig.of("ftp://x"))
        .hasMessageContaining("expected an http or https URL, found 'ftp://x'");
    assertThatThrownBy(() -> RegistryClientConfig.of("http://user:pw@host:8081"))
        .hasMessageContaining("basic.auth.user.info");
    RegistryClientConfig cfg = RegistryClientConfig.fromMap(Map.of(
        RegistryClientConfig.URL, "https://a:8081,https://b:8081/",
        RegistryClientConfig.BASIC_AUTH_USER_INFO, "svc:s3cret"));
    assertThat(cfg.urls()).hasSize(2);
    assertThat(cfg.urls().get(1).toString()).isEqualTo("https://b:8081");
    assertThat(cfg.toString()).contains("svc:****").doesNotContain("s3cret");
  }
}
