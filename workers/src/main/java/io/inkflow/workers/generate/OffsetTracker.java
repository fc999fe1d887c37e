package io.inkflow.workers.generate;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which offsets of each partition are taken but not yet finished, so that only the offset below which
 * everything is finished gets committed (records finish out of order across batches). Consumer thread only.
 */
final class OffsetTracker {
  private final Map<TopicPartition, TreeSet<Long>> pending = new HashMap<>();
  private final Map<TopicPartition, TreeSet<Long>> abandoned = new HashMap<>();
  private final Map<TopicPartition, Long> next = new HashMap<>();
  private final Map<TopicPartition, Long> committed = new HashMap<>();

  void taken(TopicPartition tp, long offset) {
    pending.computeIfAbsent(tp, k -> new TreeSet<>()).add(offset);
    next.merge(tp, offset + 1, Math::max);
  }

  void finished(TopicPartition tp, long offset) {
    TreeSet<Long> set = pending.get(tp);
    if (set != null) {
      set.remove(offset);
    }
  }

  /** A taken record that will not be processed here: it stays unfinished, so no commit passes it. */
  void abandoned(TopicPartition tp, long offset) {
    abandoned.computeIfAbsent(tp, k -> new TreeSet<>()).add(offset);
  }

  /** Unfinished records of these partitions that were not abandoned. */
  int startedPending(Collection<TopicPartition> partitions) {
    int n = 0;
    for (TopicPartition tp : partitions) {
      TreeSet<Long> set = pending.get(tp);
      if (set != null) {
        TreeSet<Long> gone = abandoned.get(tp);
        n += gone == null ? set.size() : (int) set.stream().filter(o -> !gone.contains(o)).count();
      }
    }
    return n;
  }

  /** Offsets that can be committed now and were not committed yet. */
  Map<TopicPartition, OffsetAndMetadata> committable() {
    Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
    for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
      TopicPartition tp = e.getKey();
      TreeSet<Long> set = pending.get(tp);
      long offset = set == null || set.isEmpty() ? e.getValue() : set.first();
      Long done = committed.get(tp);
      if (done == null || offset > done) {
        out.put(tp, new OffsetAndMetadata(offset));
      }
    }
    return out;
  }

  void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, om) -> committed.merge(tp, om.offset(), Math::max));
  }

  /**
   * An asynchronous commit of these offsets failed: unless a later commit already covers a partition,
   * its offset becomes committable again, so the next round retries it even if nothing new finishes.
   */
  void commitFailed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, om) -> {
      Long done = committed.get(tp);
      if (done != null && done == om.offset()) {
        committed.remove(tp);
      }
    });
  }

  int pendingCount() {
    return pending.values().stream().mapToInt(TreeSet::size).sum();
  }

  /** Forgets a partition (revoked or lost): its unfinished records will be redelivered to its next owner. */
  void forget(TopicPartition tp) {
    pending.remove(tp);
    abandoned.remove(tp);
    next.remove(tp);
    committed.remove(tp);
  }
}
