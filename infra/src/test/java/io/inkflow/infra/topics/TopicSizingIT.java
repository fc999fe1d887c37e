package io.inkflow.infra.topics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.schemas.StartupChecks;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.TopicAdmin;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.streams.common.StreamsMain;
import io.inkflow.testing.MemoryRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The catalogue created on a real (one-node) broker with a deployment's partition counts, replication
 * factor and min ISR; existing topics checked and never altered. Each test uses its own topic prefix.
 */
class TopicSizingIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static LocalStack stack;
  private static Admin admin;
  private static MemoryRegistry registry;

  @BeforeAll
  static void start() {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("stack.").withPartitions(1));
    admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()));
    registry = new MemoryRegistry();
  }

  @AfterAll
  static void stop() {
    if (admin != null) {
      admin.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  private static Map<String, TopicDescription> describe(Topics topics) throws Exception {
    return admin.describeTopics(topics.all().stream().map(Topic::name).toList()).allTopicNames().get(30, TimeUnit.SECONDS);
  }

  @Test
  void theCatalogueIsCreatedWithTheChosenCountsReplicasAndMinIsr() throws Exception {
    TopicSettings settings = new TopicSettings(3, Map.of(Topics.GENERATION_JOBS, 5), (short) 1, 1);
    Topics topics = Topics.create(registry, "sized.", settings, true);
    List<String> created = TopicAdmin.ensure(admin, topics, TIMEOUT);
    assertThat(created).hasSize(topics.all().size());
    LocalStack.awaitLeaders(admin, created, TIMEOUT);

    Map<String, TopicDescription> described = describe(topics);
    assertThat(described.get("sized.generation-jobs").partitions()).hasSize(5);
    assertThat(described.get("sized.prompt-requests").partitions()).hasSize(3);
    assertThat(described.get("sized.batches").partitions()).hasSize(3);
    assertThat(described.get("sized.request-results").partitions()).hasSize(3);
    assertThat(described.get("sized.generation-jobs.dlq").partitions()).hasSize(1);
    assertThat(described.values()).allSatisfy(d -> assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(1)));

    ConfigResource jobs = new ConfigResource(ConfigResource.Type.TOPIC, "sized.generation-jobs");
    Config config = admin.describeConfigs(List.of(jobs)).all().get(30, TimeUnit.SECONDS).get(jobs);
    ConfigEntry minIsr = config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
    assertThat(minIsr.value()).isEqualTo("1");
    assertThat(minIsr.source()).as("set on the topic, not inherited from the broker").isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);

    assertThat(TopicAdmin.ensure(admin, topics, TIMEOUT)).as("a second start creates nothing").isEmpty();
  }

  @Test
  void replicationFactorThreeOnOneBrokerFailsNamingTheVariable() {
    Topics topics = Topics.create(registry, "rf3.", new TopicSettings(2, Map.of(), (short) 3, 2), true);
    assertThatThrownBy(() -> TopicAdmin.ensure(admin, topics, TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("with replication factor 3 (INKFLOW_TOPIC_REPLICATION_FACTOR)")
        .hasMessageContaining("at least as many brokers as the replication factor");
  }

  @Test
  void anExistingTopicWithAnotherCountIsReportedAndLeftAsItIs() throws Exception {
    Topics small = Topics.create(registry, "grow.", TopicSettings.uniform(2), true);
    LocalStack.awaitLeaders(admin, TopicAdmin.ensure(admin, small, TIMEOUT), TIMEOUT);
    Topics larger = Topics.create(registry, "grow.", TopicSettings.uniform(4), true);
    assertThatThrownBy(() -> TopicAdmin.ensure(admin, larger, TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("topic grow.generation-jobs has 2 partitions, expected 4 (INKFLOW_TOPIC_PARTITIONS)")
        .hasMessageContaining("topic grow.prompt-requests has 2 partitions, expected 4")
        .hasMessageContaining("never alters an existing topic")
        .hasMessageContaining("docs/scaling.md");
    assertThat(describe(small).get("grow.generation-jobs").partitions()).as("not altered").hasSize(2);
  }

  @Test
  void coPartitionedTopicsWithDifferentCountsStopTheStartBeforeAnythingIsCreated() throws Exception {
    admin.createTopics(List.of(new NewTopic("cp.request-results", 3, (short) 1))).all().get(30, TimeUnit.SECONDS);
    LocalStack.awaitLeaders(admin, List.of("cp.request-results"), TIMEOUT);
    Topics topics = Topics.create(registry, "cp.", TopicSettings.uniform(2), true);
    assertThatThrownBy(() -> TopicAdmin.ensure(admin, topics, TIMEOUT))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("topic cp.request-results has 3 partitions, expected 2")
        .hasMessageContaining("co-partitioned with cp.batches");
    assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).doesNotContain("cp.batches", "cp.prompt-requests");
  }

  @Test
  void aStreamsAppIsHeldBackBySourceTopicsWithAnotherCount() throws Exception {
    Topics created = Topics.create(registry, "app.", TopicSettings.uniform(2), true);
    LocalStack.awaitLeaders(admin, TopicAdmin.ensure(admin, created, TIMEOUT), TIMEOUT);
    Map<String, Object> adminProps = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers());

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(created.batches.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("b"))
        .merge(builder.stream(created.requestResults.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("r")),
            Named.as("m"))
        .foreach((k, v) -> { }, Named.as("sink"));
    Topology topology = builder.build();
    Set<String> sources = StreamsMain.sourceTopics(topology, created);
    assertThat(sources).isEqualTo(Set.of("app.batches", "app.request-results"));

    assertThat(StartupChecks.partitions(adminProps, created, sources).problems()).isEmpty();
    Topics expectsMore = Topics.create(registry, "app.", TopicSettings.uniform(6), true);
    assertThat(StartupChecks.partitions(adminProps, expectsMore, sources).problems()).singleElement().asString()
        .contains("topic app.batches has 2 partitions, expected 6")
        .contains("topic app.request-results has 2 partitions, expected 6")
        .contains("INKFLOW_TOPIC_PARTITIONS")
        .doesNotContain("app.generation-jobs");
    Map<String, Object> nowhere = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9",
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 1000);
    assertThat(StartupChecks.partitions(nowhere, created, sources).problems()).as("no broker: unchecked is not passed")
        .singleElement().asString().startsWith("could not check the partition counts of [app.batches, app.request-results]");
  }
}
