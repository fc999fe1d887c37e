package io.inkflow.api.console;

import io.inkflow.api.view.ApiView;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.RewardScore;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.testing.ExampleEvents;
import java.util.ArrayList;
import java.util.List;

/** A finished batch in a view: requests of two variants each (variant 1 a bad case), with their scored images. */
final class ConsoleFixtures {
  private ConsoleFixtures() {}

  /** Fills {@code view} with batch {@code batchId} of {@code count} finished requests whose prompt is {@code prompt} + index. */
  static void finishedBatch(ApiView view, String batchId, int count, String prompt) {
    view.apply(BatchSubmitted.newBuilder(ExampleEvents.batch()).setBatchId(batchId).setExpectedCount(count).build());
    for (int i = 0; i < count; i++) {
      String requestId = String.format("%s-r%04d", batchId, i);
      PromptRequest request = PromptRequest.newBuilder(ExampleEvents.request()).setRequestId(requestId).setBatchId(batchId)
          .setPrompt(prompt + " " + i).build();
      List<RankedVariant> variants = new ArrayList<>();
      for (int v = 0; v < 2; v++) {
        String jobId = requestId + "-" + v;
        String uri = "s3://inkflow-images/images/" + batchId + "/" + requestId + "/" + v + ".png";
        double score = v == 0 ? 0.8 : 0.3;
        Verdict verdict = v == 0 ? Verdict.ACCEPTED : Verdict.BAD_CASE;
        GenerationJob job = GenerationJob.newBuilder(ExampleEvents.job()).setRequest(request).setJobId(jobId).setVariant(v)
            .setRewrittenPrompt(prompt + " " + i + ", soft light").build();
        GeneratedImage image = GeneratedImage.newBuilder(ExampleEvents.image()).setJob(job).setImageUri(uri).build();
        view.apply(ScoredImage.newBuilder(ExampleEvents.scored()).setImage(image)
            .setScores(List.of(new RewardScore("aesthetic", score, 0.5), new RewardScore("alignment_rewritten", score, 0.5)))
            .setOverallScore(score).setVerdict(verdict).setReasonCodes(v == 0 ? List.of() : List.of("LOW_AESTHETIC")).build());
        variants.add(RankedVariant.newBuilder().setJobId(jobId).setVariant(v).setSeed(v).setImageUri(uri).setScore(score)
            .setVerdict(verdict).build());
      }
      view.apply(RequestResult.newBuilder(ExampleEvents.result()).setRequestId(requestId).setBatchId(batchId)
          .setStatus(RequestStatus.COMPLETED).setVariants(variants).setBestVariant(variants.get(0)).build());
    }
    view.apply(BatchResult.newBuilder(ExampleEvents.batchResult()).setBatchId(batchId).setExpectedCount(count).setCompleted(count)
        .setPartial(0).setRejected(0).build());
  }
}
