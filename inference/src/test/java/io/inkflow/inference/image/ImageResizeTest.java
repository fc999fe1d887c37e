package io.inkflow.inference.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ImageResizeTest {

  @Test
  void overlappingWindowsLikeAdaptiveAvgPool() {
    // 3x3 -> 2x2: windows [0, 2) and [1, 3) on each axis (floor(i*3/2), ceil((i+1)*3/2)).
    int[] red = {0, 30, 60, 90, 120, 150, 180, 210, 240};
    byte[] rgb = new byte[27];
    for (int i = 0; i < 9; i++) {
      rgb[3 * i] = (byte) red[i];
      rgb[3 * i + 2] = (byte) 255;
    }
    float[] out = ImageResize.areaToPlanar(new RgbImage(3, 3, rgb), 2);
    // red: (0+30+90+120)/4 = 60, (30+60+120+150)/4 = 90, (90+120+180+210)/4 = 150, (120+150+210+240)/4 = 180
    assertThat(out[0]).isCloseTo(60f / 255, within(1e-6f));
    assertThat(out[1]).isCloseTo(90f / 255, within(1e-6f));
    assertThat(out[2]).isCloseTo(150f / 255, within(1e-6f));
    assertThat(out[3]).isCloseTo(180f / 255, within(1e-6f));
    for (int i = 4; i < 8; i++) {
      assertThat(out[i]).isZero();            // green plane
      assertThat(out[i + 4]).isEqualTo(1f);   // blue plane
    }
  }

  @Test
  void integerFactorsAverageDisjointBlocks() {
    byte[] rgb = new byte[4 * 2 * 3];
    int[] levels = {10, 20, 30, 40, 50, 60, 70, 80};
    for (int i = 0; i < 8; i++) {
      rgb[3 * i + 1] = (byte) levels[i];
    }
    float[] out = ImageResize.areaToPlanar(new RgbImage(4, 2, rgb), 1);
    assertThat(out[1]).isCloseTo(45f / 255, within(1e-6f));
  }
}
