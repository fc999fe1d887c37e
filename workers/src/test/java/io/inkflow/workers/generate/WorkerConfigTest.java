package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.inference.runtime.ExecutionProvider;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
  private static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("INKFLOW_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
    env.put("INKFLOW_REGISTRY_URL", "http://user:pw@127.0.0.1:8081");
    env.put("INKFLOW_PACK_DIR", "/packs/tiny");
    env.put("INKFLOW_S3_ENDPOINT", "http://127.0.0.1:9000");
    env.put("INKFLOW_S3_ACCESS_KEY", "AK");
    env.put("INKFLOW_S3_SECRET_KEY", "very-secret");
    return env;
  }

  @Test
  void registryClientSettingsComeFromTheEnvironmentLikeTheStreamsApps() {
    Map<String, String> env = Map.of("INKFLOW_REGISTRY_CLIENT_BASIC_AUTH_USER_INFO", "svc:reg-secret",
        "INKFLOW_REGISTRY_CLIENT_INKFLOW_REGISTRY_RETRY_TIMEOUT_MS", "120000");
    var registry = GenerationWorkerMain.registryConfig("https://registry:8081", env);
    assertThat(registry.basicAuthUserInfo()).isEqualTo("svc:reg-secret");
    assertThat(registry.retryTimeout()).isEqualTo(java.time.Duration.ofMinutes(2));
    assertThat(registry.toString()).doesNotContain("reg-secret");
    assertThat(GenerationWorkerMain.registryConfig("http://127.0.0.1:8081", Map.of()).basicAuthUserInfo()).isNull();
  }

  @Test
  void readsTheEnvironmentWithDefaultsAndMasksSecrets() {
    Map<String, String> env = env();
    env.put("INKFLOW_EXECUTION_PROVIDER", "GPU");
    env.put("INKFLOW_DEVICE_ID", "1");
    env.put("INKFLOW_KAFKA_CLIENT_SASL_JAAS_CONFIG", "secret-jaas");
    env.put("INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL");
    WorkerConfig c = WorkerConfig.fromEnv(env);
    assertThat(c.provider()).isEqualTo(ExecutionProvider.CUDA);
    assertThat(c.deviceId()).isEqualTo(1);
    assertThat(c.intraOpThreads()).isZero();
    assertThat(c.maxBatchSize()).isEqualTo(4);
    assertThat(c.maxAttempts()).isEqualTo(3);
    assertThat(c.clientOverrides()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(GenerationWorkerMain.consumerProps(c)).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("enable.auto.commit", false).containsEntry("isolation.level", "read_committed");
    assertThat(c.toString()).doesNotContain("very-secret").doesNotContain("secret-jaas").doesNotContain(":pw@")
        .contains("SASL_SSL");
  }

  @Test
  void rejectsOutOfRangeValuesSayingWhatWasExpected() {
    Map<String, String> env = env();
    env.put("INKFLOW_WORKER_BATCH_SIZE", "0");
    assertThatThrownBy(() -> WorkerConfig.fromEnv(env))
        .hasMessage("Invalid value 0 for configuration INKFLOW_WORKER_BATCH_SIZE: Value must be at least 1");
    env.put("INKFLOW_WORKER_BATCH_SIZE", "four");
    assertThatThrownBy(() -> WorkerConfig.fromEnv(env))
        .hasMessage("Invalid value four for configuration INKFLOW_WORKER_BATCH_SIZE: Not a number of type INT");
    Map<String, String> threads = env();
    threads.put("INKFLOW_WORKER_INTRA_OP_THREADS", "1");
    assertThat(WorkerConfig.fromEnv(threads).intraOpThreads()).isEqualTo(1);
    threads.put("INKFLOW_WORKER_INTRA_OP_THREADS", "-1");
    assertThatThrownBy(() -> WorkerConfig.fromEnv(threads))
        .hasMessage("Invalid value -1 for configuration INKFLOW_WORKER_INTRA_OP_THREADS: Value must be at least 0");
    Map<String, String> noPack = env();
    noPack.remove("INKFLOW_PACK_DIR");
    assertThatThrownBy(() -> WorkerConfig.fromEnv(noPack)).hasMessageContaining("INKFLOW_PACK_DIR");
  }

  @Test
  void renamedVariablesAreStillReadForOneRelease() {
    Map<String, String> old = env();
    old.put("INKFLOW_WORKER_MAX_WAIT_MS", "150");
    old.put("INKFLOW_WORKER_IO_BACKOFF_MS", "50");
    old.put("INKFLOW_WORKER_IO_BACKOFF_MAX_MS", "2000");
    old.put("INKFLOW_WORKER_IO_DEADLINE_MS", "60000");
    old.put("INKFLOW_EXECUTION_PROVIDER", "cuda");
    old.put("INKFLOW_DEVICE_ID", "2");
    WorkerConfig c = WorkerConfig.fromEnv(old);
    assertThat(c.maxWait()).isEqualTo(java.time.Duration.ofMillis(150));
    assertThat(c.ioBackoff()).isEqualTo(java.time.Duration.ofMillis(50));
    assertThat(c.ioBackoffMax()).isEqualTo(java.time.Duration.ofSeconds(2));
    assertThat(c.ioDeadline()).isEqualTo(java.time.Duration.ofMinutes(1));
    assertThat(c.provider()).isEqualTo(ExecutionProvider.CUDA);
    assertThat(c.deviceId()).isEqualTo(2);
    // The new names win when both are set.
    old.put("INKFLOW_WORKER_MAX_WAIT", "PT1S");
    old.put("INKFLOW_DEVICE", "cpu");
    WorkerConfig newer = WorkerConfig.fromEnv(old);
    assertThat(newer.maxWait()).isEqualTo(java.time.Duration.ofSeconds(1));
    assertThat(newer.provider()).isEqualTo(ExecutionProvider.CPU);
    // The provider alone, as before: cuda means device 0.
    Map<String, String> providerOnly = env();
    providerOnly.put("INKFLOW_EXECUTION_PROVIDER", "cuda");
    assertThat(WorkerConfig.fromEnv(providerOnly).deviceId()).isZero();
    assertThat(WorkerConfig.fromEnv(providerOnly).provider()).isEqualTo(ExecutionProvider.CUDA);
  }
}
