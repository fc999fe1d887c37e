package io.inkflow.infra.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class LocalStackIT {

  /**
   * Process-wide singletons that libraries start lazily once per JVM and that no instance owns: the
   * JDK's keep-alive timer and common pool, Yammer's default metrics registry (the broker's, static in
   * KafkaYammerMetrics), the AWS SDK's static response-timeout scheduler (exits after 60 s idle), and
   * the test harness's own threads.
   */
  private static boolean processWide(Thread t) {
    String n = t.getName();
    return n.startsWith("ForkJoinPool.commonPool") || n.equals("process reaper") || n.startsWith("Attach Listener")
        || n.equals("Common-Cleaner") || n.equals("Keep-Alive-Timer") || n.startsWith("metrics-meter-tick-thread")
        || n.equals("response-input-stream-timeout-scheduler") || n.startsWith("awaitility") || n.startsWith("junit-");
  }

  private static Set<Thread> liveThreads() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).collect(Collectors.toSet());
  }

  @Test
  void startsChecksEveryTopicAndS3ThenStopsLeavingNoThreadsOrPorts() {
    Set<Thread> before = liveThreads();
    List<Integer> ports;
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral())) {
      ports = stack.ports();
      assertThat(stack.connection().bootstrapServers()).startsWith("127.0.0.1:");
      assertThat(stack.connection().registryUrl()).startsWith("http://127.0.0.1:");
      assertThat(stack.connection().s3Endpoint().getHost()).isEqualTo("127.0.0.1");

      SelfCheck.Result result = SelfCheck.run(stack);
      assertThat(result.failures()).isEmpty();
      assertThat(result.topicsChecked()).isEqualTo(12);
      assertThat(result.s3Ok()).isTrue();
      assertThat(stack.dataDir()).exists();
    }

    await("threads started by the stack to end").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(liveThreads().stream()
            .filter(t -> !before.contains(t) && !processWide(t))
            .map(Thread::getName).sorted().toList()).isEmpty());
    for (int port : ports) {
      assertThat(canBind(port)).as("port %d released", port).isTrue();
    }
  }

  @Test
  void aConfiguredDataDirectoryKeepsTopicsAndSchemasAcrossRestarts(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
    LocalStackConfig config = new LocalStackConfig(dir, 0, 0, 0, 0, EmbeddedS3.Storage.FILESYSTEM,
        LocalStackConfig.DEFAULT_BUCKET, "k", "secret-key", "", 1, Duration.ofSeconds(60));
    int schemaId;
    try (LocalStack stack = LocalStack.start(config)) {
      assertThat(SelfCheck.run(stack).ok()).isTrue();
      schemaId = new io.inkflow.schemas.registry.RestSchemaRegistryClient(
          io.inkflow.schemas.registry.RegistryClientConfig.of(stack.registry().url()))
          .register("prompt-requests-value", io.inkflow.avro.PromptRequest.getClassSchema());
    }
    try (LocalStack stack = LocalStack.start(config)) {
      assertThat(SelfCheck.run(stack).ok()).isTrue();
      assertThat(new io.inkflow.schemas.registry.RestSchemaRegistryClient(
          io.inkflow.schemas.registry.RegistryClientConfig.of(stack.registry().url())).getById(schemaId))
          .isEqualTo(io.inkflow.avro.PromptRequest.getClassSchema());
    }
    assertThat(dir.resolve("kafka/meta.properties")).exists();
  }

  private static boolean canBind(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
