package io.inkflow.bench.ocr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class OcrScoreTest {

  @Test
  void normalizeAppliesNfkcAndDropsWhitespace() {
    assertThat(OcrScore.normalize("ＡＢＣ　１２３ x\ty\n")).isEqualTo("ABC123xy");
    assertThat(OcrScore.normalize(" 你好 world ")).isEqualTo("你好world");
    assertThat(OcrScore.joined(List.of("你好", " world", "42"))).isEqualTo("你好world42");
  }

  @Test
  void editDistanceCountsCodePoints() {
    assertThat(OcrScore.editDistance("kitten", "sitting")).isEqualTo(3);
    assertThat(OcrScore.editDistance("", "abc")).isEqualTo(3);
    assertThat(OcrScore.editDistance("你好世界", "你们世界")).isEqualTo(1);
    assertThat(OcrScore.editDistance("a\uD840\uDC00b", "ab")).isEqualTo(1);
  }

  @Test
  void accuracyRateIsOneMinusTheNormalisedDistanceFloorZero() {
    assertThat(OcrScore.accuracyRate("你好世界", "你好世界")).isEqualTo(1.0);
    assertThat(OcrScore.accuracyRate("你好世界", "你好")).isEqualTo(0.5);
    assertThat(OcrScore.accuracyRate("ab", "xxxxxx")).isEqualTo(0.0);
    assertThat(OcrScore.accuracyRate("", "")).isEqualTo(1.0);
  }

  @Test
  void wilsonIntervalMatchesTheFormula() {
    double[] interval = OcrScore.wilson95(27, 30);
    assertThat(interval[0]).isCloseTo(0.7437891742, within(1e-9));
    assertThat(interval[1]).isCloseTo(0.9654001113, within(1e-9));
    assertThat(OcrScore.wilson95(0, 10)[0]).isEqualTo(0.0);
    assertThat(OcrScore.wilson95(0, 10)[1]).isCloseTo(0.2775327999, within(1e-9));
    assertThat(OcrScore.wilson95(10, 10)[1]).isEqualTo(1.0);
    assertThat(OcrScore.wilson95(0, 0)).containsExactly(0.0, 1.0);
  }
}
