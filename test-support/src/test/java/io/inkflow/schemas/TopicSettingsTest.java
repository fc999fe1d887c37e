package io.inkflow.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.testing.MemoryRegistry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The deployment's topic sizing: variables, validation, co-partitioned groups, and the catalogue built from it. */
class TopicSettingsTest {
  private static MemoryRegistry registry;

  @BeforeAll
  static void startRegistry() {
    registry = new MemoryRegistry();
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @Test
  void unsetVariablesGiveSixPartitionsOneReplicaAndMinIsrOne() {
    TopicSettings settings = TopicSettings.fromEnv(Map.of());
    assertThat(settings).isEqualTo(TopicSettings.defaults());
    Topics topics = Topics.create(registry, "", settings, true);
    for (Topic<?, ?> topic : topics.all()) {
      assertThat(topic.partitions()).as(topic.name()).isEqualTo(topic.isDeadLetter() ? 1 : 6);
      assertThat(topic.configs()).as(topic.name()).containsEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1");
    }
  }

  @Test
  void aDeploymentSetsCountsPerTopicReplicasAndMinIsr() {
    Map<String, String> env = Map.of("INKFLOW_TOPIC_PARTITIONS", "12", "INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS", "48",
        "INKFLOW_TOPIC_REPLICATION_FACTOR", "3", "INKFLOW_TOPIC_MIN_ISR", "2");
    TopicSettings settings = TopicSettings.fromEnv(env);
    Topics topics = Topics.create(registry, "prod.", settings, true);
    assertThat(topics.generationJobs.partitions()).isEqualTo(48);
    assertThat(topics.promptRequests.partitions()).isEqualTo(12);
    assertThat(topics.batches.partitions()).isEqualTo(12);
    assertThat(topics.requestResults.partitions()).isEqualTo(12);
    assertThat(topics.generationJobsDlq.partitions()).isEqualTo(1);
    assertThat(topics.newTopics()).hasSize(topics.all().size()).allSatisfy(t -> {
      assertThat(t.replicationFactor()).as(t.name()).isEqualTo((short) 3);
      assertThat(t.configs()).as(t.name()).containsEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
    });
    NewTopic jobs = topics.newTopics().stream().filter(t -> t.name().equals("prod.generation-jobs")).findFirst().orElseThrow();
    assertThat(jobs.numPartitions()).isEqualTo(48);
    // The catalogue's own configs survive beside min ISR.
    assertThat(jobs.configs()).containsEntry(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
    assertThat(topics.partitionsVariable(topics.generationJobs)).isEqualTo("INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS");
    assertThat(topics.partitionsVariable(topics.imagesGenerated)).isEqualTo("INKFLOW_TOPIC_PARTITIONS");
    assertThat(TopicSettings.fromEnv(settings.asEnv())).as("what a launcher passes on reads back the same").isEqualTo(settings);
  }

  @Test
  void badValuesAreRefusedNamingTheVariable() {
    assertThatThrownBy(() -> TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_PARTITIONS", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("INKFLOW_TOPIC_PARTITIONS");
    assertThatThrownBy(() -> TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS");
    assertThatThrownBy(() -> TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_REPLICATION_FACTOR", "0")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("INKFLOW_TOPIC_REPLICATION_FACTOR");
    assertThatThrownBy(() -> TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_PARTITIONS", "many")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("INKFLOW_TOPIC_PARTITIONS");
  }

  @Test
  void minIsrAboveTheReplicationFactorIsRefused() {
    assertThatThrownBy(() -> TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_REPLICATION_FACTOR", "2", "INKFLOW_TOPIC_MIN_ISR", "3")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("INKFLOW_TOPIC_MIN_ISR").hasMessageContaining("INKFLOW_TOPIC_REPLICATION_FACTOR")
        .hasMessageContaining("found 3");
    assertThatThrownBy(() -> TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_MIN_ISR", "2")))
        .as("min ISR 2 with the default single replica").hasMessageContaining("INKFLOW_TOPIC_MIN_ISR");
    assertThat(TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_REPLICATION_FACTOR", "3", "INKFLOW_TOPIC_MIN_ISR", "3")).minInsyncReplicas())
        .isEqualTo(3);
  }

  @Test
  void anOverrideThatSplitsCoPartitionedTopicsIsRefusedNamingBoth() {
    assertThat(Topics.CO_PARTITIONED).extracting(Topics.CoPartition::topics).contains(List.of(Topics.BATCHES, Topics.REQUEST_RESULTS));
    assertThatThrownBy(() -> TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_PARTITIONS_REQUEST_RESULTS", "12")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("batches (6 partitions)").hasMessageContaining("request-results (12 partitions)")
        .hasMessageContaining("INKFLOW_TOPIC_PARTITIONS_BATCHES").hasMessageContaining("INKFLOW_TOPIC_PARTITIONS_REQUEST_RESULTS");
    Map<String, String> both = new HashMap<>();
    both.put("INKFLOW_TOPIC_PARTITIONS_REQUEST_RESULTS", "12");
    both.put("INKFLOW_TOPIC_PARTITIONS_BATCHES", "12");
    Topics topics = Topics.create(registry, "", TopicSettings.fromEnv(both), true);
    assertThat(topics.batches.partitions()).isEqualTo(12);
    assertThat(topics.requestResults.partitions()).isEqualTo(12);
    assertThat(topics.promptRequests.partitions()).isEqualTo(6);
    // Moving the shared count moves both together.
    assertThat(TopicSettings.fromEnv(Map.of("INKFLOW_TOPIC_PARTITIONS", "24")).partitionsOf(Topics.BATCHES)).isEqualTo(24);
  }

  @Test
  void anOverrideOfATopicOutsideTheCatalogueIsRefused() {
    assertThatThrownBy(() -> new TopicSettings(6, Map.of("generation-jobs.dlq", 4), (short) 1, 1))
        .hasMessageContaining("generation-jobs.dlq").hasMessageContaining("generation-jobs");
  }

  @Test
  void mismatchedExistingTopicsAreReportedWithExpectedAndFoundCounts() {
    Topics topics = Topics.create(registry, "m.", TopicSettings.uniform(6), true);
    List<String> problems = TopicAdmin.mismatches(topics,
        Map.of("m.request-results", 12, "m.batches", 6, "m.generation-jobs", 4, "m.generation-jobs.dlq", 1, "other", 3));
    assertThat(problems).hasSize(2);
    assertThat(problems).anySatisfy(p -> assertThat(p)
        .contains("topic m.request-results has 12 partitions, expected 6 (INKFLOW_TOPIC_PARTITIONS)")
        .contains("co-partitioned with m.batches"));
    assertThat(problems).anySatisfy(p -> assertThat(p).contains("topic m.generation-jobs has 4 partitions, expected 6")
        .doesNotContain("co-partitioned"));
  }
}
