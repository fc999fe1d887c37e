package io.inkflow.inference.diffusers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Packing and unpacking against the definition, index by index, on random shapes; the word moves
 * are the path this JVM takes, and arrays of the wrong length are refused before any move.
 */
class FluxLatentsTest {

  @Test
  void packingFollowsTheDefinitionAndUnpackingInvertsIt() {
    assertThat(FloatPairs.words()).as("pairs move as 8-byte words on this JVM").isTrue();
    SplittableRandom random = new SplittableRandom(19);
    for (int round = 0; round < 200; round++) {
      int batch = 1 + random.nextInt(3);
      int channels = 1 + random.nextInt(16);
      int h = 2 * (1 + random.nextInt(10));
      int w = 2 * (1 + random.nextInt(10));
      float[] latents = new float[batch * channels * h * w];
      for (int k = 0; k < latents.length; k++) {
        latents[k] = (float) random.nextGaussian();
      }
      float[] packed = FluxLatents.pack(latents, batch, channels, h, w);
      int hh = h / 2;
      int ww = w / 2;
      for (int b = 0; b < batch; b++) {
        for (int c = 0; c < channels; c++) {
          for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
              int token = b * hh * ww + (y / 2) * ww + x / 2;
              int feature = c * 4 + (y % 2) * 2 + x % 2;
              assertThat(packed[token * channels * 4 + feature])
                  .isEqualTo(latents[((b * channels + c) * h + y) * w + x]);
            }
          }
        }
      }
      assertThat(FluxLatents.unpack(packed, batch, channels, h, w)).isEqualTo(latents);
    }
  }

  @Test
  void arraysOfTheWrongLengthOrOddSidesAreRefusedBeforeAnyMove() {
    float[] four = new float[4 * 4 * 2];
    assertThatThrownBy(() -> FluxLatents.pack(four, 1, 2, 4, 4, new float[31]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("found 32 and 31");
    assertThatThrownBy(() -> FluxLatents.unpack(four, 1, 3, 4, 4, new float[32]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 48 values");
    assertThatThrownBy(() -> FluxLatents.pack(new float[18], 1, 2, 3, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("even");
    assertThatThrownBy(() -> FluxLatents.pack(four, -1, -2, 4, 4, new float[32]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
