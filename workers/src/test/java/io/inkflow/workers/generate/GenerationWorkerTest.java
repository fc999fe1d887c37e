package io.inkflow.workers.generate;

import static io.inkflow.workers.generate.WorkerHarness.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
  void aVaeThatDecodesNanFailsOnlyItsJobAsVaeNanWithoutRetry() throws Exception {
    try (WorkerHarness h = new WorkerHarness()) {
      h.generator.nanOn.add("r1-0");
      h.config = WorkerHarness.config(4, Duration.ofSeconds(5), 3);
      h.start();
      for (int i = 0; i < 3; i++) {
        h.send(h.p0, job("r" + i, 0, 256, 2));
      }
      h.awaitCommitted(h.p0, 3);
      assertThat(h.requeued()).isEmpty();
      assertThat(h.results()).hasSize(3);
      assertThat(h.results()).filteredOn(r -> r.getStatus() == ImageStatus.FAILED).singleElement().satisfies(r -> {
        assertThat(r.getJob().getJobId().toString()).isEqualTo("r1-0");
        assertThat(r.getErrorCode().toString()).isEqualTo("VAE_NAN");
      });
      assertThat(h.deadLetters()).singleElement().satisfies(dead ->
          assertThat(DeadLetterHeaders.get(dead.headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("VAE_NAN"));
    }
  }

  @Test
  void aJobsPipelineNotesReachThePngAsJson() {
    GenerationJob plain = job("r0", 0, 256, 2);
    assertThat(GenerationWorker.metadata(plain)).containsOnlyKeys("job_id");
    GenerationJob noted = GenerationJob.newBuilder(plain)
        .setPipelineNotes(Map.of("truncated", "prompt cut \"to\" 77 tokens", "language", "zh")).build();
    assertThat(GenerationWorker.metadata(noted)).containsEntry("job_id", "r0-0")
        .containsEntry("pipeline_notes", "{\"language\":\"zh\",\"truncated\":\"prompt cut \\\"to\\\" 77 tokens\"}");
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
      h.send(h.p0, "junk".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9, 9},
          new org.apache.kafka.common.header.internals.RecordHeaders().add("traceparent", "00-abc-01".getBytes(StandardCharsets.UTF_8)));
      h.send(h.p0, job("r1", 0, 256, 2));
      h.awaitCommitted(h.p0, 2);
      assertThat(h.deadLetters()).singleElement().satisfies(d -> {
        assertThat(d.value()).containsExactly(9, 9, 9);
        // The original headers travel with the dead letter, before the error headers.
        assertThat(d.headers().lastHeader("traceparent").value()).isEqualTo("00-abc-01".getBytes(StandardCharsets.UTF_8));
        assertThat(d.headers().toArray()[0].key()).isEqualTo("traceparent");
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

  @Test
  void aStandAloneRequestIsDeliveredUnderTheStandalonePrefix() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      GenerationJob standalone = job("r0", 0, 256, 2);
      standalone.getRequest().setBatchId(null);
      h.send(h.p0, standalone);
      h.send(h.p0, job("r1", 0, 256, 2));
      h.awaitCommitted(h.p0, 2);
      assertThat(h.results()).hasSize(2).allMatch(r -> r.getStatus() == ImageStatus.GENERATED);
      assertThat(h.store.objects).containsKeys("images/_standalone/r0/0-100.png", "images/b1/r1/0-100.png");
      assertThat(h.deadLetters()).isEmpty();
    }
  }

  @Test
  void aDeliveryThatFailsForTheJobsOwnReasonsEndsItAtOnceAndTheWorkerGoesOn() throws Exception {
    try (WorkerHarness h = new WorkerHarness().start()) {
      h.generator.failEncodingOf.add("r0-0");
      h.send(h.p0, job("r0", 0, 256, 2));
      h.send(h.p0, job("r1", 0, 256, 2));
      h.awaitCommitted(h.p0, 2);
      assertThat(h.requeued()).isEmpty();
      assertThat(h.deadLetters()).singleElement().satisfies(d -> {
        assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("DELIVERY_FAILED");
        assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_MESSAGE))
            .isEqualTo("delivery failed while encoding the PNG: java.lang.IllegalArgumentException: cannot encode r0-0");
      });
      assertThat(h.results()).hasSize(2).anySatisfy(r -> {
        assertThat(r.getJob().getJobId()).isEqualTo("r0-0");
        assertThat(r.getStatus()).isEqualTo(ImageStatus.FAILED);
        assertThat(r.getErrorCode()).isEqualTo("DELIVERY_FAILED");
      }).anySatisfy(r -> {
        assertThat(r.getJob().getJobId()).isEqualTo("r1-0");
        assertThat(r.getStatus()).isEqualTo(ImageStatus.GENERATED);
      });
      assertThat(h.died).isNull();
    }
  }

  @Test
  void aClaimSaysWhetherTheJobWasRenderingOrBeingDelivered(@TempDir Path dir) throws Exception {
    FileClaimStore claims = new FileClaimStore(dir);
    GenerationJob diedDelivering = job("r0", 0, 256, 2);
    GenerationJob diedDeliveringAlone = job("r1", 0, 256, 2);
    claims.delivering(diedDelivering, false);
    claims.delivering(diedDeliveringAlone, true);
    Map<String, ClaimStore.Claim> duringUpload = new ConcurrentHashMap<>();
    try (WorkerHarness h = new WorkerHarness()) {
      h.claims = claims;
      h.store.onPut = key -> duringUpload.put(key, claims.find(key.contains("/r0/") ? diedDelivering : job("r2", 0, 256, 2)));
      h.start();
      h.send(h.p0, diedDelivering);
      h.send(h.p0, diedDeliveringAlone);
      h.send(h.p0, job("r2", 0, 256, 2));
      h.awaitCommitted(h.p0, 3);
      // Rendered fine before: it runs again, alone, and is delivered.
      assertThat(h.generator.batches).contains(List.of("r0-0"));
      assertThat(duringUpload).containsEntry("images/b1/r0/0-100.png", ClaimStore.Claim.DELIVERING_ALONE)
          .containsEntry("images/b1/r2/0-100.png", ClaimStore.Claim.DELIVERING);
      assertThat(h.requeued()).singleElement().satisfies(j -> assertThat(j.getJobId()).isEqualTo("r1-0"));
      assertThat(claims.find(diedDelivering)).isEqualTo(ClaimStore.Claim.NONE);
    }
    // The job that died alone while being delivered is convicted with what really happened.
    try (WorkerHarness h = new WorkerHarness()) {
      h.claims = claims;
      h.start();
      GenerationJob last = GenerationJob.newBuilder(diedDeliveringAlone).setAttempt(3).build();
      claims.delivering(last, true);
      h.send(h.p0, last);
      h.awaitCommitted(h.p0, 1);
      assertThat(h.deadLetters()).singleElement().satisfies(d -> {
        assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("WORKER_CRASHED");
        assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_MESSAGE))
            .isEqualTo("the worker died while delivering it (PNG, upload, report) after rendering it alone (attempt 3)");
      });
    }
  }

  @Test
  void stoppingMidRenderWaitsForTheRenderAndLogsNoError() throws Exception {
    try (LogCapture logs = LogCapture.of("io.inkflow")) {
      for (int round = 0; round < 15; round++) {
        WorkerHarness h = new WorkerHarness();
        h.generator.renderTime = Duration.ofMillis(round % 4 * 10);
        h.generator.gate = new CountDownLatch(1);
        h.start();
        for (int i = 0; i < 10; i++) {
          h.send(h.p0, job("r" + round + "x" + i, 0, 256, 2));
        }
        if (round % 5 != 0) {
          // The first batch is inside render(), held there until the stop has been asked.
          await().atMost(Duration.ofSeconds(10)).until(() -> h.generator.rendering.get() > 0);
        }
        h.worker.shutdown();
        h.generator.gate.countDown();
        h.close();
        assertThat(h.thread.isAlive()).as("round %d: worker thread ended", round).isFalse();
        assertThat(h.died).as("round %d", round).isNull();
        assertThat(h.renderingWhenStopped).as("round %d: renders still running when run() returned", round).isZero();
        // What was rendered was delivered and committed; nothing delivered twice.
        assertThat(h.results()).extracting(r -> r.getJob().getJobId()).doesNotHaveDuplicates();
        assertThat(h.consumer.lastCommitted.getOrDefault(h.p0, 0L)).as("round %d", round).isEqualTo(h.results().size());
        if (round % 5 != 0) {
          assertThat(h.results()).as("round %d: the held render was finished", round).isNotEmpty();
        }
      }
      assertThat(logs.atLeast(ch.qos.logback.classic.Level.WARN)).isEmpty();
    }
  }

  @Test
  void stoppingARealPipelineMidRenderNeverFreesItsSessionsUnderARender() throws Exception {
    Path pack = Path.of("..", "infra", "models", "tiny-mmdit-flow").toAbsolutePath().normalize();
    try (LogCapture logs = LogCapture.of("io.inkflow", "ai.onnxruntime")) {
      for (int round = 0; round < 5; round++) {
        WorkerHarness h = new WorkerHarness();
        try (PipelineGenerator real = PipelineGenerator.open(pack, SessionOptionsConfig.cpu().withIntraOpThreads(1))) {
          h.engine = real;
          h.start();
          for (int i = 0; i < 6; i++) {
            h.send(h.p0, GenerationJob.newBuilder(job("r" + round + "x" + i, 0, 256, 4))
                .setPackId(real.packId()).setPackVersion(real.packVersion()).build());
          }
          int delivered = round % 2;
          await().atMost(Duration.ofSeconds(60)).until(() -> h.results().size() >= delivered);
          h.close();
          assertThat(h.thread.isAlive()).isFalse();
          assertThat(h.died).isNull();
        } // closes the sessions, as the worker's main does after run() returns
        assertThat(h.results()).allMatch(r -> r.getStatus() == ImageStatus.GENERATED);
      }
      assertThat(logs.atLeast(ch.qos.logback.classic.Level.WARN)).isEmpty();
    }
  }
}
