package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worker's readiness: joined its group (zero partitions counts) and polling; not while draining. */
class WorkerReadinessTest {

  @Test
  void notReadyBeforeJoiningReadyOnceAssignedEvenNothingAndNotWhileDraining() throws Exception {
    try (WorkerHarness h = new WorkerHarness()) {
      h.worker = new GenerationWorker(h.config, h.consumer, h.producer, h.topics, h.engine, h.store, h.claims, h.metrics);
      assertThat(h.worker.notReady()).hasValueSatisfying(r -> assertThat(r).contains("has not joined group"));
      // A worker beyond the partition count: its group answers with an empty assignment.
      h.consumer.schedulePollTask(() -> h.consumer.rebalance(List.of()));
      h.thread = new Thread(h.worker, "worker-under-test");
      h.thread.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> h.worker.notReady().isEmpty());
      assertThat(h.consumer.assignment()).isEmpty();
      h.worker.shutdown();
      assertThat(h.worker.notReady()).hasValueSatisfying(r -> assertThat(r).contains("draining"));
    }
  }
}
