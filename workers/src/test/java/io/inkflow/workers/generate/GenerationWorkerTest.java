package io.inkflow.workers.generate;

import static io.inkflow.workers.generate.WorkerHarness.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.schemas.DeadLetterHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker loop on MockConsumer/MockProducer with a synthetic generator. */
class GenerationWorkerTest {

  @Test
  void batchesByBucketAndStepsUploadsProducesAndCommitsLast() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      for (int i = 0; i < 9; i++) {
        h.send(h.p0, job("r" + i, 0, 256, 2));
      }
      for (int i = 0; i < 3; i++) {
        h.send(h.p1, job("s" + i, 0, 512, 2));
      }
      h.send(h.p1, job("t0", 0, 256, 3));
      h.awaitCommitted(h.p0, 9);
      h.awaitCommitted(h.p1, 4);

      List<GeneratedImage> results = h.results();
      assertThat(results).hasSize(13).allMatch(r -> r.getStatus() == ImageStatus.GENERATED);
      assertThat(results).extracting(r -> r.getJob().getJobId().toString()).doesNotHaveDuplicates();
      GeneratedImage s0 = results.stream().filter(r -> r.getJob().getJobId().toString().equals("s0-0")).findFirst().orElseThrow();
      assertThat(s0.getImageUri().toString()).isEqualTo("s3://test-bucket/images/b1/s0/0-100.png");
      assertThat(s0.getDeliveredSize().getWidth()).isEqualTo(512);
      assertThat(s0.getWorkerId().toString()).isEqualTo("worker-test");
      assertThat(h.store.metadata.get("images/b1/s0/0-100.png"))
          .containsEntry("job-id", "s0-0").containsEntry("seed", "100").containsEntry("pack-version", "1.0.0")
          .containsEntry("sha256", s0.getSha256().toString());
      // Result keyed by requestId.
      ProducerRecord<byte[], byte[]> first = h.producer.history().get(0);
      assertThat(new String(first.key(), StandardCharsets.UTF_8)).isIn(results.stream().map(r -> r.getJob().getRequest().getRequestId().toString()).toList());
      // Batches never mix bucket or steps and never exceed the max size.
      assertThat(h.generator.batches).allSatisfy(b -> {
        assertThat(b).hasSizeBetween(1, 4);
        assertThat(b.stream().map(id -> id.charAt(0)).distinct()).hasSize(1);
      });
      assertThat(h.generator.batches.stream().filter(b -> b.get(0).startsWith("r")).mapToInt(List::size).max().orElse(0)).isEqualTo(4);
    }
  }

  @Test
  void anInferenceErrorSplitsTheBatchAndRequeuesOnlyTheBadJob() throws Exception {
    try (WorkerHarness h = new WorkerHarness()) {
      h.generator.failOn.add("r2-0");
      h.config = WorkerHarness.config(4, Duration.ofSeconds(5), 3);
      h.start();
      for (int i = 0; i < 4; i++) {
        h.send(h.p0, job("r" + i, 0, 256, 2));
      }
      h.awaitCommitted(h.p0, 4);
      assertThat(h.results()).extracting(r -> r.getJob().getJobId().toString()).containsExactlyInAnyOrder("r0-0", "r1-0", "r3-0");
      List<GenerationJob> again = h.requeued();
      assertThat(again).singleElement().satisfies(j -> {
        assertThat(j.getJobId().toString()).isEqualTo("r2-0");
        assertThat(j.getAttempt()).isEqualTo(2);
      });
      assertThat(h.generator.batches.get(0)).hasSize(4);
      assertThat(h.deadLetters()).isEmpty();
    }
  }

  @Test
  void afterMaxAttemptsAJobIsDeadLetteredWithItsBytesAndReportedFailed() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      h.generator.failOn.add("r0-0");
      GenerationJob last = GenerationJob.newBuilder(job("r0", 0, 256, 2)).setAttempt(3).build();
      byte[] bytes = h.topics.generationJobs.valueSerde().serializer().serialize("x", last);
      h.send(h.p0, "r0-0".getBytes(StandardCharsets.UTF_8), bytes);
      h.awaitCommitted(h.p0, 1);
      assertThat(h.requeued()).isEmpty();
      ProducerRecord<byte[], byte[]> dead = h.deadLetters().get(0);
      assertThat(h.deadLetters()).hasSize(1);
      assertThat(dead.value()).isEqualTo(bytes);
      assertThat(dead.key()).isEqualTo("r0-0".getBytes(StandardCharsets.UTF_8));
      assertThat(DeadLetterHeaders.get(dead.headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("INFERENCE_ERROR");
      assertThat(DeadLetterHeaders.get(dead.headers(), DeadLetterHeaders.ERROR_ATTEMPTS)).isEqualTo("3");
      assertThat(DeadLetterHeaders.get(dead.headers(), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
      assertThat(h.results()).singleElement().satisfies(r -> {
        assertThat(r.getStatus()).isEqualTo(ImageStatus.FAILED);
        assertThat(r.getErrorCode().toString()).isEqualTo("INFERENCE_ERROR");
        assertThat(r.getJob().getJobId().toString()).isEqualTo("r0-0");
      });
    }
  }

  @Test
  void aJobForAnotherPackIsRefusedAsPackMismatch() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      h.send(h.p0, GenerationJob.newBuilder(job("r0", 0, 256, 2)).setPackVersion("9.9.9").build());
      h.send(h.p0, job("r1", 0, 256, 2));
      h.awaitCommitted(h.p0, 2);
      assertThat(h.deadLetters()).singleElement()
          .satisfies(d -> assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("PACK_MISMATCH"));
      assertThat(h.results()).hasSize(2).anySatisfy(r -> {
        assertThat(r.getStatus()).isEqualTo(ImageStatus.FAILED);
        assertThat(r.getErrorCode().toString()).isEqualTo("PACK_MISMATCH");
      });
      assertThat(h.generator.batches).allSatisfy(b -> assertThat(b).containsExactly("r1-0"));
    }
  }

  @Test
  void anUnreadableRecordIsDeadLetteredAndSkipped() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      h.send(h.p0, "junk".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9, 9});
      h.send(h.p0, job("r1", 0, 256, 2));
      h.awaitCommitted(h.p0, 2);
      assertThat(h.deadLetters()).singleElement().satisfies(d -> {
        assertThat(d.value()).containsExactly(9, 9, 9);
        assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("DESERIALIZATION_FAILED");
      });
      assertThat(h.results()).singleElement().satisfies(r -> assertThat(r.getStatus()).isEqualTo(ImageStatus.GENERATED));
    }
  }

  @Test
  void uploadAndProduceErrorsAreRetriedWithBackoff() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      h.store.failures.set(2);
      h.producer.failures.set(2);
      h.send(h.p0, job("r0", 0, 256, 2));
      h.awaitCommitted(h.p0, 1);
      assertThat(h.results()).singleElement().satisfies(r -> assertThat(r.getStatus()).isEqualTo(ImageStatus.GENERATED));
      assertThat(h.store.objects).containsKey("images/b1/r0/0-100.png");
      assertThat(h.metrics.retries.get()).isEqualTo(4);
      assertThat(h.requeued()).isEmpty();
    }
  }

  @Test
  void uploadsThatKeepFailingRequeueTheJob() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      h.store.failures.set(3); // = ioAttempts
      h.send(h.p0, job("r0", 0, 256, 2));
      h.awaitCommitted(h.p0, 1);
      assertThat(h.results()).isEmpty();
      assertThat(h.requeued()).singleElement().satisfies(j -> assertThat(j.getAttempt()).isEqualTo(2));
    }
  }

  @Test
  void pausesWhileTheAcceleratorIsBusyAndResumesAfterwards() throws Exception {
    try (WorkerHarness h = new WorkerHarness()) {
      h.generator.gate = new CountDownLatch(1);
      h.start();
      int limit = h.config.maxInFlightJobs();
      for (int i = 0; i < 60; i++) {
        h.send(h.p0, job("r" + i, 0, 256, 2));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> h.consumer.paused().contains(h.p0));
      // Held jobs stop growing at the limit (plus at most one poll's worth) while the accelerator is stuck.
      assertThat(h.metrics.inFlight.get().intValue()).isBetween(limit, limit + WorkerHarness.MAX_POLL_RECORDS);
      assertThat(h.results()).isEmpty();
      h.generator.gate.countDown();
      h.awaitCommitted(h.p0, 60);
      assertThat(h.results()).hasSize(60);
      assertThat(h.consumer.paused()).isEmpty();
    }
  }

  @Test
  void aRevokedPartitionFinishesStartedJobsAndLeavesHeldOnesToItsNextOwner() throws Exception {
    try (WorkerHarness h = new WorkerHarness()) {
      h.config = WorkerHarness.config(4, Duration.ofSeconds(30), 3);
      h.start();
      for (int i = 0; i < 4; i++) {
        h.send(h.p0, job("r" + i, 0, 256, 2)); // a full batch: starts at once
      }
      h.send(h.p0, job("held", 0, 256, 3)); // waits 30 s for company
      h.awaitCommitted(h.p0, 4);
      h.consumer.schedulePollTask(() -> h.consumer.rebalance(List.of(h.p1)));
      await().atMost(Duration.ofSeconds(10)).until(() -> !h.consumer.assignment().contains(h.p0));
      assertThat(h.results()).hasSize(4);
      // Back again (MockConsumer only reports committed offsets of assigned partitions): 4 committed, "held" not.
      h.consumer.schedulePollTask(() -> h.consumer.rebalance(List.of(h.p0, h.p1)));
      await().atMost(Duration.ofSeconds(10)).until(() -> h.consumer.assignment().contains(h.p0));
      assertThat(h.committed(h.p0)).isEqualTo(4);
      assertThat(h.generator.batches).noneMatch(b -> b.contains("held-0"));
    }
  }

  @Test
  void aJobThatWasInABatchWhenTheProcessDiedRunsAloneAndOneThatDiedAloneCountsAsAnAttempt(@TempDir Path dir) throws Exception {
    FileClaimStore claims = new FileClaimStore(dir);
    GenerationJob innocent = job("r0", 0, 256, 2);
    GenerationJob killer = job("r1", 0, 256, 2);
    claims.claim(List.of(innocent), false);
    claims.claim(List.of(killer), true);
    try (WorkerHarness h = new WorkerHarness()) {
      h.claims = claims;
      h.start();
      h.send(h.p0, innocent);
      h.send(h.p0, killer);
      h.send(h.p0, job("r2", 0, 256, 2));
      h.awaitCommitted(h.p0, 3);
      assertThat(h.generator.batches).contains(List.of("r0-0"));
      assertThat(h.results()).extracting(r -> r.getJob().getJobId().toString()).containsExactlyInAnyOrder("r0-0", "r2-0");
      assertThat(h.requeued()).singleElement().satisfies(j -> {
        assertThat(j.getJobId().toString()).isEqualTo("r1-0");
        assertThat(j.getAttempt()).isEqualTo(2);
      });
      assertThat(claims.find(innocent)).isEqualTo(ClaimStore.Claim.NONE);
      assertThat(claims.find(killer)).isEqualTo(ClaimStore.Claim.NONE);
    }
  }
}
