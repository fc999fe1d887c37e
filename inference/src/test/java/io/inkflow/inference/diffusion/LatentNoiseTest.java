package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatentNoiseTest {

  @Test
  void dependsOnTheSeedOnly() {
    assertThat(LatentNoise.gaussian(42, 1000)).containsExactly(LatentNoise.gaussian(42, 1000));
    assertThat(LatentNoise.gaussian(42, 1000)).isNotEqualTo(LatentNoise.gaussian(43, 1000));
    // a prefix of a longer draw is the shorter draw
    float[] longer = LatentNoise.gaussian(7, 101);
    float[] shorter = LatentNoise.gaussian(7, 100);
    for (int i = 0; i < 100; i++) {
      assertThat(longer[i]).isEqualTo(shorter[i]);
    }
  }

  @Test
  void isStandardNormal() {
    float[] v = LatentNoise.gaussian(123, 200_000);
    double mean = 0;
    double sq = 0;
    for (float x : v) {
      mean += x;
      sq += (double) x * x;
    }
    mean /= v.length;
    double var = sq / v.length - mean * mean;
    assertThat(mean).isCloseTo(0, within(0.01));
    assertThat(var).isCloseTo(1, within(0.02));
  }
}
