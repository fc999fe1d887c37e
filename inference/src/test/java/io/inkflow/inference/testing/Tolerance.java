package io.inkflow.inference.testing;

import static org.assertj.core.api.Assertions.assertThat;

/** Element-wise comparison with |actual - expected| <= atol + rtol * |expected|. */
public final class Tolerance {
  private Tolerance() {}

  /** Asserts closeness and returns the largest absolute difference. */
  public static double assertClose(String what, float[] actual, float[] expected, double atol, double rtol) {
    assertThat(actual).as(what + " length").hasSameSizeAs(expected);
    double worst = 0;
    int worstAt = -1;
    for (int i = 0; i < expected.length; i++) {
      double diff = Math.abs((double) actual[i] - expected[i]);
      assertThat(Double.isNaN(actual[i])).as(what + "[" + i + "] is NaN").isFalse();
      if (diff > atol + rtol * Math.abs(expected[i]) && (worstAt < 0 || diff > worst)) {
        worstAt = i;
      }
      worst = Math.max(worst, diff);
    }
    if (worstAt >= 0) {
      throw new AssertionError(String.format("%s: element %d expected %s, found %s (tolerance %g + %g * |expected|;"
          + " max abs diff %g)", what, worstAt, expected[worstAt], actual[worstAt], atol, rtol, worst));
    }
    return worst;
  }
}
