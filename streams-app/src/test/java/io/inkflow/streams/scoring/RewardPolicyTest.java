package io.inkflow.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.inkflow.avro.RewardScore;
import io.inkflow.avro.Verdict;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.inference.reward.TextMetrics;
import io.inkflow.inference.reward.TextRenderingScore;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class RewardPolicyTest {
  static final RewardPolicy POLICY = new RewardPolicy(new RewardPackManifest.Weights(0.3, 0.5, 0.2),
      new RewardPackManifest.Thresholds(0.35, 0.45, 0.5, 0.45));

  static RewardScores scores(double aesthetic, double alignment) {
    return new RewardScores(aesthetic, alignment, OptionalDouble.empty(), Optional.empty(), 0);
  }

  @Test
  void aGoodImageIsAcceptedWithTheWeightedMeanOfItsScores() {
    RewardPolicy.Judgement j = POLICY.judge(scores(0.8, 0.6));
    assertThat(j.verdict()).isEqualTo(Verdict.ACCEPTED);
    assertThat(j.reasons()).isEmpty();
    assertThat(j.overall()).isCloseTo((0.3 * 0.8 + 0.5 * 0.6) / 0.8, within(1e-12));
    assertThat(j.scores()).extracting(RewardScore::getReward).containsExactly("aesthetic", "alignment_rewritten");
  }

  @Test
  void eachMissedThresholdIsAReason() {
    RewardPolicy.Judgement j = POLICY.judge(scores(0.2, 0.3));
    assertThat(j.verdict()).isEqualTo(Verdict.BAD_CASE);
    assertThat(j.reasons()).containsExactly(RewardPolicy.LOW_AESTHETIC, RewardPolicy.MISALIGNED, RewardPolicy.LOW_OVERALL);
  }

  @Test
  void theLowerAlignmentCountsAndCarriesTheWeight() {
    RewardPolicy.Judgement j = POLICY.judge(new RewardScores(0.8, 0.9, OptionalDouble.of(0.4), Optional.empty(), 0));
    assertThat(j.reasons()).containsExactly(RewardPolicy.MISALIGNED);
    assertThat(j.overall()).isCloseTo((0.3 * 0.8 + 0.5 * 0.4) / 0.8, within(1e-12));
    assertThat(j.scores()).filteredOn(s -> s.getReward().equals("alignment_original")).singleElement()
        .satisfies(s -> assertThat(s.getWeight()).isEqualTo(0.5));
    assertThat(j.scores()).filteredOn(s -> s.getReward().equals("alignment_rewritten")).singleElement()
        .satisfies(s -> assertThat(s.getWeight()).isEqualTo(0.0));
  }

  @Test
  void textRenderingCountsOnlyWhenTheImageHasGlyphText() {
    TextRenderingScore text = new TextRenderingScore("春", "夏", 0.0, 0.0).withAvailability(0.8);
    RewardPolicy.Judgement j = POLICY.judge(new RewardScores(0.8, 0.8, OptionalDouble.empty(), Optional.of(text), 0));
    assertThat(j.reasons()).containsExactly(RewardPolicy.TEXT_UNREADABLE);
    assertThat(j.textRendering().getHead()).isEqualTo("mini");
    assertThat(j.textRendering().getLinesRead()).containsExactly("夏");
    assertThat(j.textRendering().getAvailable()).isFalse();
    assertThat(POLICY.judge(scores(0.8, 0.8)).textRendering()).as("no text asked, no metrics").isNull();
    assertThat(j.overall()).isCloseTo((0.3 * 0.8 + 0.5 * 0.8) / 1.0, within(1e-12));
    assertThat(j.scores()).extracting(RewardScore::getReward).contains("text_rendering", "text_rendering_hit_rate");
  }

  @Test
  void onlyTheOverallThresholdCanMakeABadCaseOnItsOwn() {
    RewardPolicy strict = new RewardPolicy(POLICY.weights(), new RewardPackManifest.Thresholds(0.1, 0.1, 0.1, 0.9));
    assertThat(strict.judge(scores(0.8, 0.8)).reasons()).containsExactly(RewardPolicy.LOW_OVERALL);
  }

  @Test
  void refusesWeightsThatCannotMakeAMean() {
    assertThatThrownBy(() -> new RewardPolicy(new RewardPackManifest.Weights(0, 0, 1), POLICY.thresholds()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void thresholdMapNamesEveryThreshold() {
    assertThat(POLICY.thresholdMap()).containsKeys("aesthetic", "alignment", "text_rendering", "overall");
  }

  @Test
  void textAskedForButNothingReadIsMissingWithItsMetricsInTheEvent() {
    TextRenderingScore nothing = TextMetrics.matchTexts(List.of("开业大吉", "OPEN"), List.of(), 0.8);
    RewardPolicy.Judgement j = POLICY.judge(new RewardScores(0.9, 0.9, OptionalDouble.empty(), Optional.of(nothing), 0));
    assertThat(j.reasons()).containsExactly(RewardPolicy.TEXT_MISSING);
    assertThat(j.textRendering().getHead()).isEqualTo("ppocr");
    assertThat(j.textRendering().getAvailable()).isFalse();
    assertThat(j.textRendering().getAvailabilityThreshold()).isEqualTo(0.8);
    assertThat(j.textRendering().getTexts()).extracting(m -> m.getRequested()).containsExactly("开业大吉", "OPEN");

    TextRenderingScore read = TextMetrics.matchTexts(List.of("开业大吉", "OPEN"), List.of("开业大吉 OPEN"), 0.8);
    RewardPolicy.Judgement ok = POLICY.judge(new RewardScores(0.9, 0.9, OptionalDouble.empty(), Optional.of(read), 0));
    assertThat(ok.verdict()).isEqualTo(Verdict.ACCEPTED);
    assertThat(ok.textRendering().getAccuracy()).isEqualTo(1.0);
    assertThat(ok.textRendering().getLinesRead()).containsExactly("开业大吉 OPEN");
  }
}
