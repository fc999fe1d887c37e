package io.inkflow.inference.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The linear score map: min to 0, max to 1, clipped outside, NaN kept. */
class ScoreMapTest {

  @Test
  void mapsLinearlyAndClipsBothEnds() {
    ScoreMap pickScore = new ScoreMap(17.0, 25.0);
    assertThat(pickScore.apply(21.0)).isEqualTo(0.5);
    assertThat(pickScore.apply(17.0)).isZero();
    assertThat(pickScore.apply(25.0)).isEqualTo(1.0);
    assertThat(pickScore.apply(12.5)).as("below min").isZero();
    assertThat(pickScore.apply(31.0)).as("above max").isEqualTo(1.0);
    assertThat(pickScore.apply(Double.NEGATIVE_INFINITY)).isZero();
    assertThat(pickScore.apply(Double.NaN)).as("a broken graph stays visible").isNaN();
  }

  @Test
  void refusesAnEmptyOrReversedRange() {
    assertThatThrownBy(() -> new ScoreMap(1.0, 1.0)).hasMessageContaining("expected finite min < max");
    assertThatThrownBy(() -> new ScoreMap(10.0, 1.0)).hasMessageContaining("min 10.0, max 1.0");
    assertThatThrownBy(() -> new ScoreMap(0.0, Double.POSITIVE_INFINITY)).hasMessageContaining("finite");
  }
}
