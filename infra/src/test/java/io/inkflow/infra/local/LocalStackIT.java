package io.inkflow.infra.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.PromptRequest;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
      assertThat(result.topicsChecked()).isEqualTo(16);
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
  void aConfiguredDataDirectoryKeepsTopicsAndSchemasAcrossRestarts(@TempDir Path dir) {
    LocalStackConfig config = new LocalStackConfig(dir, 0, 0, 0, 0, EmbeddedS3.Storage.FILESYSTEM,
        LocalStackConfig.DEFAULT_BUCKET, "k", "secret-key", "", 1, Duration.ofSeconds(60));
    int schemaId;
    try (LocalStack stack = LocalStack.start(config)) {
      assertThat(SelfCheck.run(stack).ok()).isTrue();
      schemaId = new io.inkflow.schemas.registry.RestSchemaRegistryClient(
          RegistryClientConfig.of(stack.registry().url()))
          .register("prompt-requests-value", PromptRequest.getClassSchema());
    }
    try (LocalStack stack = LocalStack.start(config)) {
      assertThat(SelfCheck.run(stack).ok()).isTrue();
      assertThat(new io.inkflow.schemas.registry.RestSchemaRegistryClient(
          RegistryClientConfig.of(stack.registry().url())).getById(schemaId))
          .isEqualTo(PromptRequest.getClassSchema());
    }
    assertThat(dir.resolve("kafka/meta.properties")).exists();
  }

  @Test
  void eachServerPausesAndResumesOnItsOwnPortKeepingItsData() throws Exception {
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("pause.").withPartitions(1));
         RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryClientConfig.of(stack.registry().url()));
         software.amazon.awssdk.services.s3.S3Client s3 = stack.connection().s3Client()) {
      ConnectionSettings before = stack.connection();
      String bucket = before.bucket();
      s3.putObject(b -> b.bucket(bucket).key("kept"), software.amazon.awssdk.core.sync.RequestBody.fromString("bytes"));
      int id = registry.register("pause-value", PromptRequest.getClassSchema());
      String topic = stack.topics().batches.name();
      try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(Map.of("bootstrap.servers",
          before.bootstrapServers()), new org.apache.kafka.common.serialization.StringSerializer(),
          new org.apache.kafka.common.serialization.StringSerializer())) {
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, "k", "v")).get(30, TimeUnit.SECONDS);
      }

      stack.s3().pause();
      stack.registry().pause();
      stack.kafka().pause();
      assertThat(stack.s3().running()).isFalse();
      assertThat(stack.kafka().running()).isFalse();
      for (int port : List.of(stack.s3().port(), stack.registry().port(), stack.kafka().brokerPort())) {
        assertThat(canBind(port)).as("port %d closed while paused", port).isTrue();
      }

      stack.kafka().resume(Duration.ofSeconds(60));
      stack.registry().resume();
      stack.s3().resume();
      assertThat(stack.connection()).isEqualTo(before);
      assertThat(s3.getObjectAsBytes(b -> b.bucket(bucket).key("kept")).asUtf8String()).isEqualTo("bytes");
      assertThat(new RestSchemaRegistryClient(RegistryClientConfig.of(stack.registry().url())).getById(id))
          .isEqualTo(PromptRequest.getClassSchema());
      try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<String, String>(Map.of("bootstrap.servers",
          before.bootstrapServers(), "group.id", "pause-it", "auto.offset.reset", "earliest"),
          new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.StringDeserializer())) {
        consumer.subscribe(List.of(topic));
        List<String> values = new ArrayList<>();
        await("the record written before the pause").atMost(Duration.ofSeconds(60))
            .until(() -> {
              consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
              return values.contains("v");
            });
      }
    }
  }

  @Test
  void topicsAreCreatedWithTheCataloguesPartitionsAndConfigs() throws Exception {
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("cfg."));
         Admin admin = Admin.create(Map.of(
             "bootstrap.servers", stack.connection().bootstrapServers()))) {
      for (Topic<?, ?> topic : stack.topics().all()) {
        assertThat(topic.name()).startsWith("cfg.");
        var description = admin.describeTopics(List.of(topic.name())).allTopicNames().get().get(topic.name());
        assertThat(description.partitions()).hasSize(topic.partitions());
        var resource = new org.apache.kafka.common.config.ConfigResource(
            ConfigResource.Type.TOPIC, topic.name());
        var config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        topic.configs().forEach((k, v) -> assertThat(config.get(k).value()).as(topic.name() + " " + k).isEqualTo(v));
      }
      assertThat(stack.topics().requestResults.configs()).containsEntry("cleanup.policy", "compact");
      assertThat(stack.topics().promptRequestsDlq.partitions()).isEqualTo(1);
    }
  }

  @Test
  void localUpStopsCleanlyOnSigterm() throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        LocalStackMain.class.getName());
    pb.environment().put("INKFLOW_KAFKA_PORT", "0");
    pb.environment().put("INKFLOW_CONTROLLER_PORT", "0");
    pb.environment().put("INKFLOW_REGISTRY_PORT", "0");
    pb.environment().put("INKFLOW_S3_PORT", "0");
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    Process process = pb.start();
    try (var out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      List<String> lines = new ArrayList<>();
      String line;
      while ((line = out.readLine()) != null && !line.startsWith("export AWS_SECRET_ACCESS_KEY")) {
        lines.add(line);
      }
      // The child runs on the test classpath, so its logs share stdout with the settings it prints.
      assertThat(lines).anyMatch(l -> l.startsWith("inkflow local stack ready in"));
      String bootstrap = lines.stream().filter(l -> l.startsWith("export INKFLOW_BOOTSTRAP_SERVERS=")).findFirst().orElseThrow()
          .substring("export INKFLOW_BOOTSTRAP_SERVERS=".length());
      int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
      assertThat(canBind(port)).isFalse();

      process.toHandle().destroy(); // SIGTERM, keeping our end of its stdout open
      List<String> after = new ArrayList<>();
      while ((line = out.readLine()) != null) {
        after.add(line);
      }
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s of SIGTERM").isTrue();
      // The shutdown hook closed the stack; 143 (128 + SIGTERM) is the JVM's status for a signalled exit.
      assertThat(after).contains("inkflow local stack stopped");
      assertThat(process.exitValue()).isEqualTo(143);
      assertThat(canBind(port)).isTrue();
    } finally {
      process.destroyForcibly();
    }
  }

  private static boolean canBind(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
