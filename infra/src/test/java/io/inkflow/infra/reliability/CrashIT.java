package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real service {@code main}s as child JVMs, killed with SIGKILL in the middle of a batch and
 * restarted: the batch still ends with one result per request, one score per job, one batch result,
 * and every S3 object under its own job's key.
 */
class CrashIT {
  private static final int REQUESTS = 16;
  private static final int IMAGES = 2;
  @TempDir static Path dir;
  static Pipeline pipeline;

  @BeforeAll
  static void start() throws Exception {
    pipeline = Pipeline.start(dir, "crash-it.").startAll();
  }

  @AfterAll
  static void stop() {
    if (pipeline != null) {
      pipeline.close();
    }
  }

  @Test
  void aWorkerKilledMidBatchAndRestartedLosesAndRepeatsNothing() throws Exception {
    String batch = "crash-worker";
    List<PromptRequest> requests = Pipeline.requests(batch, REQUESTS, IMAGES);
    Pipeline.Submission rest = pipeline.submitInParts(batch, requests, REQUESTS / 2);
    pipeline.awaitRecords(pipeline.topics().imagesGenerated, 3,
        (GeneratedImage g) -> batch.equals(g.getJob().getRequest().getBatchId()), Duration.ofMinutes(2));

    pipeline.kill(Pipeline.WORKER);
    try {
      rest.rest();
    } finally {
      pipeline.restart(Pipeline.WORKER);
    }

    pipeline.awaitBatch(batch, Duration.ofMinutes(4));
    Pipeline.Outcome outcome = pipeline.assertNothingLostOrRepeated(batch, requests);
    assertThat(outcome.results()).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RequestStatus.COMPLETED));
    pipeline.assertAllAlive();
  }

  @Test
  void bothStreamsAppsKilledMidBatchAndRestartedLoseAndRepeatNothing() throws Exception {
    String batch = "crash-streams";
    List<PromptRequest> requests = Pipeline.requests(batch, REQUESTS, IMAGES);
    // The batch's expected count and first half; the second half arrives while the streams are down.
    Pipeline.Submission rest = pipeline.submitInParts(batch, requests, REQUESTS / 2);
    pipeline.awaitRecords(pipeline.topics().imagesScored, 2,
        s -> batch.equals(s.getImage().getJob().getRequest().getBatchId()), Duration.ofMinutes(2));

    pipeline.kill(Pipeline.SCORING);
    pipeline.kill(Pipeline.PE);
    String late = "crash-streams-late";
    List<PromptRequest> lateRequests = Pipeline.requests(late, 3, 1);
    try {
      // The rest of the batch, and another batch, arrive while both streams are down.
      rest.rest();
      pipeline.submit(late, lateRequests);
    } finally {
      pipeline.restart(Pipeline.PE);
      pipeline.restart(Pipeline.SCORING);
    }

    pipeline.awaitBatch(batch, Duration.ofMinutes(4));
    pipeline.awaitBatch(late, Duration.ofMinutes(2));
    for (var b : List.of(batch, late)) {
      List<PromptRequest> sent = b.equals(batch) ? requests : lateRequests;
      Pipeline.Outcome outcome = pipeline.assertNothingLostOrRepeated(b, sent);
      assertThat(outcome.results().stream().map(r -> r.getStatus()).collect(Collectors.toSet())).containsOnly(RequestStatus.COMPLETED);
    }
    pipeline.assertAllAlive();
  }
}
