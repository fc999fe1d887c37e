package io.inkflow.infra.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.common.health.StartupCheck;
import io.inkflow.common.health.StartupGate;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.text.PackTokenizer;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.streams.common.StreamsMain;
import io.inkflow.streams.common.StreamsService;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.rewrite.PeLimits;
import io.inkflow.streams.rewrite.PromptRewriteTopology;
import io.inkflow.streams.rewrite.RequestPlanner;
import io.inkflow.streams.rewrite.RuleBasedRewriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A streams app on the real broker: a missing topic keeps it unready (503) with one log line however often
 * the check is retried; once the topic exists it starts, reaches RUNNING and answers 200, and its
 * {@code /metrics} carries the Kafka Streams client metrics and the stage's own sensors.
 */
class StreamsReadinessIT {
  static final String PREFIX = "ready-it.";
  static final Path PACK = Path.of("models", "tiny-mmdit-flow").toAbsolutePath();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static LocalStack stack;

  @TempDir Path state;

  @BeforeAll
  static void start() {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix(PREFIX).withPartitions(1));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aMissingTopicKeepsTheAppUnreadyWithOneLogLineUntilItIsCreatedThenRunningIsReady() throws Exception {
    Topics topics = stack.topics();
    String missing = topics.promptRequests.name();
    Map<String, Object> admin = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers());
    try (Admin a = Admin.create(admin)) {
      a.deleteTopics(Set.of(missing)).all().get();
      await("topic deleted").atMost(Duration.ofSeconds(30)).until(() -> !a.listTopics().names().get().contains(missing));
    }

    Logger gateLog = (Logger) LoggerFactory.getLogger(StartupGate.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    gateLog.addAppender(logs);
    PackManifest pack = PackManifest.read(PACK);
    RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryClientConfig.of(stack.connection().registryUrl()));
    StreamsSettings settings = new StreamsSettings(stack.connection().bootstrapServers(), stack.connection().registryUrl(),
        state, PREFIX, 1, 100, Map.of(), Map.of());
    try (PackTokenizer tokenizer = PackTokenizer.open(pack.tokenizer(), pack.dir());
         StreamsService service = new StreamsService("pe-rewrite",
             PromptRewriteTopology.build(topics, new RequestPlanner(pack, tokenizer, PeLimits.defaults(), new RuleBasedRewriter()),
                 Duration.ofDays(7)),
             settings.streamsProperties("ready-it-pe"), "PE rewrite running", HttpSettings.ephemeral(),
             settings.startupChecks(PromptRewriteTopology.topicsUsed(topics), registry), List.of(registry))) {
      service.start();
      int port = service.httpPort();
      assertThat(get(port, "/healthz").statusCode()).isEqualTo(200);

      // Three rounds at least (1 s, 2 s, 4 s of backoff): unready throughout, and one line only.
      List<Integer> statuses = new ArrayList<>();
      await("the check retried").pollInterval(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).until(() -> {
        HttpResponse<String> r = get(port, "/readyz");
        statuses.add(r.statusCode());
        assertThat(r.body()).contains("topic " + missing + " is missing");
        return statuses.size() >= 16;
      });
      assertThat(statuses).containsOnly(503);
      assertThat(service.streams().state()).isEqualTo(KafkaStreams.State.CREATED);
      List<String> errors = logs.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(errors).containsExactly("pe-rewrite: not ready: topic " + missing
          + " is missing; retrying with backoff until it is fixed");

      try (Admin a = Admin.create(admin)) {
        a.createTopics(List.of(topics.promptRequests.newTopic((short) 1))).all().get();
      }
      List<String> seen = new ArrayList<>();
      await("ready once RUNNING").pollInterval(Duration.ofMillis(200)).atMost(Duration.ofSeconds(90)).until(() -> {
        HttpResponse<String> r = get(port, "/readyz");
        seen.add(r.statusCode() + " " + r.body().trim());
        return r.statusCode() == 200;
      });
      assertThat(service.streams().state()).isIn(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING);
      assertThat(seen.get(0)).startsWith("503");

      String metrics = get(port, "/metrics").body();
      assertThat(MetricNames.of(metrics))
          .as("Kafka Streams client metrics").anyMatch(n -> n.startsWith("kafka_stream_thread_"))
          .as("the stage's own sensors").contains("kafka_stream_inkflow_pe_requests_accepted_total");
    } finally {
      gateLog.detachAppender(logs);
    }
  }

  @Test
  void aWrongPartitionCountKeepsTheAppUnreadyAndAliveWithOneLogLine() throws Exception {
    // The stack created its topics with 1 partition; this deployment's settings say 2.
    TopicSettings two = TopicSettings.uniform(2);
    Logger gateLog = (Logger) LoggerFactory.getLogger(StartupGate.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    gateLog.addAppender(logs);
    PackManifest pack = PackManifest.read(PACK);
    RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryClientConfig.of(stack.connection().registryUrl()));
    Topics topics = Topics.create(registry, PREFIX, two, true);
    StreamsSettings settings = new StreamsSettings(stack.connection().bootstrapServers(), stack.connection().registryUrl(),
        state, PREFIX, 1, 100, Map.of(), Map.of(), two);
    try (PackTokenizer tokenizer = PackTokenizer.open(pack.tokenizer(), pack.dir())) {
      Topology topology = PromptRewriteTopology.build(topics, new RequestPlanner(pack, tokenizer, PeLimits.defaults(), new RuleBasedRewriter()),
          Duration.ofDays(7));
      List<StartupCheck> checks = new ArrayList<>(settings.startupChecks(PromptRewriteTopology.topicsUsed(topics), registry));
      checks.add(settings.partitionCheck(topics, StreamsMain.sourceTopics(topology, topics)));
      try (StreamsService service = new StreamsService("pe-rewrite", topology, settings.streamsProperties("ready-it-count"),
          "PE rewrite running", HttpSettings.ephemeral(), checks, List.of(registry))) {
        service.start();
        int port = service.httpPort();
        String expected = "topic " + PREFIX + "prompt-requests has 1 partitions, expected 2 (INKFLOW_TOPIC_PARTITIONS)";
        // Three rounds at least (1 s, 2 s, 4 s of backoff): unready and alive throughout, and one line only.
        List<Integer> ready = new ArrayList<>();
        List<Integer> alive = new ArrayList<>();
        await("the check retried").pollInterval(Duration.ofMillis(500)).atMost(Duration.ofSeconds(30)).until(() -> {
          HttpResponse<String> r = get(port, "/readyz");
          ready.add(r.statusCode());
          assertThat(r.body()).contains(expected);
          alive.add(get(port, "/healthz").statusCode());
          return ready.size() >= 16;
        });
        assertThat(ready).containsOnly(503);
        assertThat(alive).containsOnly(200);
        assertThat(service.streams().state()).isEqualTo(KafkaStreams.State.CREATED);
        List<String> errors = logs.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(errors).singleElement().asString().startsWith("pe-rewrite: not ready: " + expected)
            .contains("Partitions are fixed at creation").endsWith("; retrying with backoff until it is fixed");
      }
    } finally {
      gateLog.detachAppender(logs);
    }
  }
}
