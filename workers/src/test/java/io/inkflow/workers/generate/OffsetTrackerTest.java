package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetTrackerTest {
  final TopicPartition p0 = new TopicPartition("generation-jobs", 0);
  final OffsetTracker offsets = new OffsetTracker();

  @Test
  void commitsStopBelowTheFirstUnfinishedRecord() {
    offsets.taken(p0, 0);
    offsets.taken(p0, 1);
    offsets.taken(p0, 2);
    offsets.finished(p0, 0);
    offsets.finished(p0, 2);
    assertThat(offsets.committable()).containsExactly(Map.entry(p0, new OffsetAndMetadata(1)));
    offsets.committed(offsets.committable());
    assertThat(offsets.committable()).isEmpty();
    offsets.finished(p0, 1);
    assertThat(offsets.committable()).containsExactly(Map.entry(p0, new OffsetAndMetadata(3)));
  }

  @Test
  void aFailedAsyncCommitIsCommittableAgainWithoutNewProgress() {
    offsets.taken(p0, 0);
    offsets.finished(p0, 0);
    Map<TopicPartition, OffsetAndMetadata> first = offsets.committable();
    offsets.committed(first);
    assertThat(offsets.committable()).isEmpty();
    offsets.commitFailed(first);
    assertThat(offsets.committable()).isEqualTo(first);
  }

  @Test
  void aFailureOfAnOlderCommitDoesNotUndoANewerOne() {
    offsets.taken(p0, 0);
    offsets.finished(p0, 0);
    Map<TopicPartition, OffsetAndMetadata> older = offsets.committable();
    offsets.committed(older);
    offsets.taken(p0, 1);
    offsets.finished(p0, 1);
    Map<TopicPartition, OffsetAndMetadata> newer = offsets.committable();
    offsets.committed(newer);
    offsets.commitFailed(older);
    assertThat(offsets.committable()).isEmpty();
  }
}
