package io.inkflow.streams.results;

import static io.inkflow.streams.scoring.ScoringFixtures.T0;
import static io.inkflow.streams.scoring.ScoringFixtures.scored;
import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.schemas.serde.AvroSerializer;
import io.inkflow.streams.scoring.ScoringFixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class BestOfNTest {

  @Test
  void ranksScoredVariantsBestFirstAndFailedOnesLast() {
    RequestResult r = BestOfN.result(List.of(
        scored("r", 0, 4, null, Verdict.FAILED),
        scored("r", 1, 4, 0.4, Verdict.BAD_CASE),
        scored("r", 2, 4, 0.9, Verdict.ACCEPTED),
        scored("r", 3, 4, 0.9, Verdict.ACCEPTED)), 4, T0);
    assertThat(r.getVariants()).extracting(RankedVariant::getVariant).containsExactly(2, 3, 1, 0);
    assertThat(r.getBestVariant().getVariant()).isEqualTo(2);
    assertThat(r.getStatus()).isEqualTo(RequestStatus.PARTIAL);
    assertThat(r.getReasonCode()).isEqualTo(BestOfN.VARIANTS_FAILED);
    assertThat(r.getVariants().get(3).getImageUri()).isNull();
    assertThat(r.getVariants().get(0).getRequestedSize().getWidth()).isEqualTo(16);
    assertThat(r.getVariants().get(0).getDeliveredSize().getWidth()).isEqualTo(16);
    assertThat(r.getBatchId()).isEqualTo("b1");
  }

  @Test
  void allScoredIsCompletedMissingOnesArePartialNoneScoredIsFailed() {
    assertThat(BestOfN.result(List.of(scored("r", 0, 2, 0.5, Verdict.ACCEPTED), scored("r", 1, 2, 0.2, Verdict.BAD_CASE)), 2, T0)
        .getStatus()).isEqualTo(RequestStatus.COMPLETED);
    RequestResult timedOut = BestOfN.result(List.of(scored("r", 0, 3, 0.5, Verdict.ACCEPTED)), 3, T0);
    assertThat(timedOut.getStatus()).isEqualTo(RequestStatus.PARTIAL);
    assertThat(timedOut.getReasonCode()).isEqualTo(BestOfN.TIMED_OUT);
    RequestResult failed = BestOfN.result(List.of(scored("r", 0, 2, null, Verdict.FAILED), scored("r", 1, 2, null, Verdict.FAILED)), 2, T0);
    assertThat(failed.getStatus()).isEqualTo(RequestStatus.FAILED);
    assertThat(failed.getReasonCode()).isEqualTo(BestOfN.ALL_VARIANTS_FAILED);
    assertThat(failed.getBestVariant()).isNull();
  }

  @Test
  void aFailedResultSaysWhichStageFailedForEachVariantAndCarriesDroppedTexts() {
    ScoredImage generationFailed = scored("r", 0, 2, null, Verdict.FAILED);
    generationFailed.getImage().setStatus(ImageStatus.FAILED);
    generationFailed.getImage().setErrorCode("DELIVERY_FAILED");
    generationFailed.getImage().setErrorMessage("delivery failed while encoding the PNG: java.lang.IllegalArgumentException: x");
    generationFailed.getImage().getJob().setDroppedGlyphTexts(List.of("SALE"));
    ScoredImage scoringFailed = scored("r", 1, 2, null, Verdict.FAILED);
    scoringFailed.setReasonCodes(List.of("IMAGE_UNREADABLE"));
    RequestResult r = BestOfN.result(List.of(generationFailed, scoringFailed), 2, T0);
    assertThat(r.getReasonMessage()).isEqualTo("2 of 2 variants arrived, none scored: variant 0: generation failed (DELIVERY_FAILED: "
        + "delivery failed while encoding the PNG: java.lang.IllegalArgumentException: x); variant 1: scoring failed (IMAGE_UNREADABLE)");
    assertThat(r.getDroppedGlyphTexts()).containsExactly("SALE");
    RequestResult partial = BestOfN.result(List.of(scored("r", 0, 2, 0.5, Verdict.ACCEPTED), scoringFailed), 2, T0);
    assertThat(partial.getReasonMessage()).isEqualTo("1 of 2 variants scored, 2 arrived: variant 1: scoring failed (IMAGE_UNREADABLE)");
  }

  @Test
  void aLongFailureMessageIsCutBetweenCodePointsSoTheResultCanBeWritten() {
    ScoredImage failed = scored("r", 0, 1, null, Verdict.FAILED);
    failed.getImage().setStatus(ImageStatus.FAILED);
    failed.getImage().setErrorCode("DELIVERY_FAILED");
    for (int pad = 0; pad < 3; pad++) {
      failed.getImage().setErrorMessage("x".repeat(pad) + "🐱".repeat(300));
      RequestResult r = BestOfN.result(List.of(failed), 1, T0);
      new AvroSerializer<>(RequestResult.class).checkWritable(r); // throws on half a surrogate pair
      assertThat(r.getReasonMessage()).endsWith("…)");
    }
  }

  @Test
  void pairsTheBestWithEachVariantBeyondTheMargin() {
    List<PreferencePair> pairs = BestOfN.pairs(List.of(
        scored("r", 0, 4, 0.50, Verdict.ACCEPTED),
        scored("r", 1, 4, 0.90, Verdict.ACCEPTED),
        scored("r", 2, 4, 0.88, Verdict.ACCEPTED),
        scored("r", 3, 4, null, Verdict.FAILED)), 0.05, T0);
    assertThat(pairs).singleElement().satisfies(p -> {
      assertThat(p.getPairId()).isEqualTo("r-1>r-0");
      assertThat(p.getChosenImageUri()).isEqualTo(ScoringFixtures.uri("r", 1));
      assertThat(p.getRejectedImageUri()).isEqualTo(ScoringFixtures.uri("r", 0));
      assertThat(p.getMargin()).isCloseTo(0.4, org.assertj.core.api.Assertions.within(1e-9));
      assertThat(p.getOriginalPrompt()).isEqualTo("a teapot");
      assertThat(p.getRewrittenPrompt()).startsWith("a teapot, q=");
      assertThat(p.getRewardPackId()).isEqualTo("reward-test");
    });
  }

  @Test
  void noPairsWithFewerThanTwoScoredVariants() {
    assertThat(BestOfN.pairs(List.of(scored("r", 0, 2, 0.9, Verdict.ACCEPTED), scored("r", 1, 2, null, Verdict.FAILED)), 0.0, T0)).isEmpty();
  }
}
