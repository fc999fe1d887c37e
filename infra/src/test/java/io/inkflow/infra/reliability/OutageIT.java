package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestStatus;
import io.inkflow.infra.testing.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each server of the stack goes away in the middle of a batch — S3 for 20 s, the schema registry for
 * 10 s with a fresh worker process started meanwhile, the broker restarted on its port and log
 * directory — and the pipeline resumes and finishes the batch with every count intact.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OutageIT {
  private static final int REQUESTS = 8;
  private static final int IMAGES = 2;
  @TempDir static Path dir;
  static Pipeline pipeline;
  /** The worker that runs now: the registry test replaces the first one with a fresh process. */
  static String worker = Pipeline.WORKER;

  @BeforeAll
  static void start() throws Exception {
    pipeline = Pipeline.start(dir, "outage-it.").startAll();
  }

  @AfterAll
  static void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  /** Submits the first half of a batch and waits for its first images; the rest is sent when the test says. */
  private static Pipeline.Submission submitHalfAndAwaitFirstImages(String batch, List<PromptRequest> requests) throws Exception {
    Pipeline.Submission rest = pipeline.submitInParts(batch, requests, REQUESTS / 2);
    pipeline.awaitRecords(pipeline.topics().imagesGenerated, 2,
        (GeneratedImage g) -> batch.equals(g.getJob().getRequest().getBatchId()), Duration.ofMinutes(2));
    return rest;
  }

  private static void assertCompleted(String batch, List<PromptRequest> requests) {
    pipeline.awaitBatch(batch, Duration.ofMinutes(4));
    Pipeline.Outcome outcome = pipeline.assertNothingLostOrRepeated(batch, requests);
    assertThat(outcome.results()).allSatisfy(r -> assertThat(r.getStatus()).as(r.getRequestId()).isEqualTo(RequestStatus.COMPLETED));
    pipeline.assertAllAlive();
  }

  /** Holds a fault for {@code d}: every service must stay up all that time. */
  private static void holdFor(Duration d) {
    await("services up during the outage").during(d).atMost(d.plusSeconds(10)).pollInterval(Duration.ofMillis(500))
        .until(() -> {
          pipeline.assertAllAlive();
          return true;
        });
  }

  @Test
  @Order(1)
  void anS3OutageOf20SecondsIsRiddenOut() throws Exception {
    String batch = "outage-s3";
    List<PromptRequest> requests = Pipeline.requests(batch, REQUESTS, IMAGES);
    Pipeline.Submission rest = submitHalfAndAwaitFirstImages(batch, requests);
    String before = Files.readString(pipeline.log(worker));
    pipeline.stack.s3().pause();
    try {
      // The rest of the batch arrives during the outage: its images must wait for S3.
      rest.rest();
      holdFor(Duration.ofSeconds(20));
    } finally {
      pipeline.stack.s3().resume();
    }
    // The outage was felt: uploads failed and were retried.
    assertThat(Files.readString(pipeline.log(worker)).substring(before.length())).contains("upload images/" + batch);
    assertCompleted(batch, requests);
  }

  @Test
  @Order(2)
  void aRegistryOutageOf10SecondsWithAFreshWorkerStartedDuringItIsRiddenOut() throws Exception {
    String batch = "outage-registry";
    List<PromptRequest> requests = Pipeline.requests(batch, REQUESTS, IMAGES);
    Pipeline.Submission rest = submitHalfAndAwaitFirstImages(batch, requests);
    pipeline.stack.registry().pause();
    try {
      // A new worker process has no cached schema: it must wait for the registry, not fail. The rest of
      // the batch arrives meanwhile, so only the new worker can render it.
      pipeline.stop(worker);
      worker = "worker-fresh";
      pipeline.startWorker(worker, Map.of());
      rest.rest();
      holdFor(Duration.ofSeconds(10));
    } finally {
      pipeline.stack.registry().resume();
    }
    assertCompleted(batch, requests);
    assertThat(TopicReader.readAll(pipeline.bootstrap(), pipeline.topics().imagesGenerated))
        .as("images of the batch made by the worker started during the outage")
        .anyMatch(g -> batch.equals(g.getJob().getRequest().getBatchId()) && worker.equals(g.getWorkerId()));
  }

  @Test
  @Order(3)
  void aBrokerRestartOnTheSamePortAndLogDirectoryIsRiddenOut() throws Exception {
    String batch = "outage-broker";
    List<PromptRequest> requests = Pipeline.requests(batch, REQUESTS, IMAGES);
    submitHalfAndAwaitFirstImages(batch, requests).rest();
    // The broker goes while the second half is being planned, rendered and scored.
    pipeline.stack.kafka().pause();
    try {
      holdFor(Duration.ofSeconds(5));
    } finally {
      pipeline.stack.kafka().resume(Duration.ofSeconds(60));
    }
    assertCompleted(batch, requests);
  }
}
