package io.inkflow.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.schemas.Topics;
import io.inkflow.storage.MemoryObjectStore;
import io.inkflow.streams.common.StreamsMain;
import io.inkflow.testing.MemoryRegistry;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;

/**
 * The catalogue's co-partitioned groups are the scoring topology's own: every sub-topology that reads
 * more than one catalogue topic reads exactly one declared group, and every declared group is read.
 */
class ScoringCoPartitionTest {

  @Test
  void theBatchSubTopologyReadsTheDeclaredGroupAndEveryOtherReadsOneTopic() {
    try (MemoryRegistry registry = new MemoryRegistry()) {
      Topics topics = Topics.create(registry, "cp.", 1, true);
      Topology topology = ScoringTopology.build(topics, ScoringSettings.defaults(), new MemoryObjectStore("bucket"),
          new ScoringFixtures.PromptScorer(), RewardPolicyTest.POLICY);
      List<Set<String>> bySub = StreamsMain.sourceTopicsBySubtopology(topology, topics);
      Set<Set<String>> declared = Topics.CO_PARTITIONED.stream()
          .map(g -> g.topics().stream().map(t -> topics.prefix() + t).collect(Collectors.toSet()))
          .collect(Collectors.toSet());
      List<Set<String>> readTogether = bySub.stream().filter(s -> s.size() > 1).toList();
      assertThat(readTogether).as("sub-topologies reading several catalogue topics").isNotEmpty();
      assertThat(readTogether).allSatisfy(s -> assertThat(declared).as("declared in Topics.CO_PARTITIONED").contains(s));
      assertThat(Set.copyOf(readTogether)).as("every declared group is read together").isEqualTo(declared);
      assertThat(bySub).contains(Set.of("cp.images-generated"));
      assertThat(StreamsMain.sourceTopics(topology, topics))
          .containsExactlyInAnyOrder("cp.images-generated", "cp.batches", "cp.request-results");
    }
  }
}
