package io.inkflow.streams.labels;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.Verdict;
import io.inkflow.testing.ExampleEvents;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelPairTest {

  static RankedVariant variant(int i, Double score, Verdict verdict) {
    return RankedVariant.newBuilder().setJobId("r-" + i).setVariant(i).setSeed(40 + i)
        .setImageUri(verdict == Verdict.FAILED ? null : "s3://b/r/" + i + ".png").setScore(score).setVerdict(verdict).build();
  }

  static RequestResult result(RequestStatus status, RankedVariant... variants) {
    return RequestResult.newBuilder(ExampleEvents.result()).setRequestId("r").setStatus(status).setNumVariants(variants.length)
        .setVariants(List.of(variants)).setBestVariant(variants.length == 0 ? null : variants[0]).build();
  }

  @Test
  void everyTwoScoredImagesOfARequestMakeOnePairInVariantOrder() {
    // Ranked order (best first) differs from variant order; a failed variant has no image.
    RequestResult r = result(RequestStatus.PARTIAL, variant(2, 0.9, Verdict.ACCEPTED), variant(0, 0.5, Verdict.BAD_CASE),
        variant(3, 0.4, Verdict.ACCEPTED), variant(1, null, Verdict.FAILED));
    List<LabelPair> pairs = LabelPair.of(r, "a red teapot", "a red teapot, studio light");
    assertThat(pairs).extracting(LabelPair::pairId).containsExactly("r-0~r-2", "r-0~r-3", "r-2~r-3");
    LabelPair first = pairs.get(0);
    assertThat(first.image0()).isEqualTo(new LabelPair.Image("r-0", 0, "s3://b/r/0.png", 0.5));
    assertThat(first.image1()).isEqualTo(new LabelPair.Image("r-2", 2, "s3://b/r/2.png", 0.9));
    assertThat(first.batchId()).isEqualTo("catalog-1");
    assertThat(first.originalPrompt()).isEqualTo("a red teapot");
    assertThat(LabelPair.of(r, "a red teapot", null)).extracting(LabelPair::pairId).isEqualTo(pairs.stream().map(LabelPair::pairId).toList());
  }

  @Test
  void rejectedFailedAndSingleImageRequestsMakeNoPairs() {
    assertThat(LabelPair.of(result(RequestStatus.REJECTED), "p", null)).isEmpty();
    assertThat(LabelPair.of(result(RequestStatus.FAILED, variant(0, null, Verdict.FAILED), variant(1, null, Verdict.FAILED)), "p", null))
        .isEmpty();
    assertThat(LabelPair.of(result(RequestStatus.COMPLETED, variant(0, 0.3, Verdict.ACCEPTED)), "p", null)).isEmpty();
    assertThat(LabelPair.of(result(RequestStatus.PARTIAL, variant(0, 0.3, Verdict.ACCEPTED), variant(1, null, Verdict.FAILED)), "p", null))
        .isEmpty();
  }

  @Test
  void aJudgementCarriesThePairItsImagesAndTheAnswer() {
    LabelPair p = LabelPair.of(result(RequestStatus.COMPLETED, variant(0, 0.2, Verdict.ACCEPTED), variant(1, 0.7, Verdict.ACCEPTED)),
        "春", "春, poster").get(0);
    HumanPreference j = p.judgement("l-1", "王芳", PreferenceChoice.TIE, true, 1234, ExampleEvents.T0);
    assertThat(j.getPairId()).isEqualTo("r-0~r-1");
    assertThat(j.getImage0Uri()).isEqualTo("s3://b/r/0.png");
    assertThat(j.getImage1Score()).isEqualTo(0.7);
    assertThat(j.getChoice()).isEqualTo(PreferenceChoice.TIE);
    assertThat(j.getAnnotator()).isEqualTo("王芳");
    assertThat(j.getSwapped()).isTrue();
    assertThat(j.getTimeTakenMs()).isEqualTo(1234);
    assertThat(j.getOriginalPrompt()).isEqualTo("春");
    assertThat(j.getRewrittenPrompt()).isEqualTo("春, poster");
    assertThat(j.getBatchId()).isEqualTo("catalog-1");
  }
}
