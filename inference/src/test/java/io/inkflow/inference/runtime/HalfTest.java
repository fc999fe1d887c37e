package io.inkflow.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.platform.Fp16Conversions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Half} gives exactly ONNX Runtime's conversions. */
class HalfTest {

  @Test
  void everyFloat16ConvertsToTheSameFloat32() {
    for (int h = 0; h < 1 << 16; h++) {
      float expected = Fp16Conversions.fp16ToFloat((short) h);
      assertThat(Float.floatToRawIntBits(Half.toFloat((short) h))).as("half %04x", h)
          .isEqualTo(Float.floatToRawIntBits(expected));
    }
  }

  @Test
  void float32ToFloat16MatchesOnEveryBoundaryAndOnSampledBits() {
    // Every float16 value, the midpoints between neighbours (ties), and one float32 ulp either side.
    for (int h = 0; h < 1 << 16; h++) {
      int bits = Float.floatToRawIntBits(Fp16Conversions.fp16ToFloat((short) h));
      for (int delta = -2; delta <= 2; delta++) {
        check(bits + delta);
      }
      // Midpoint to the next float16 of the same sign: 4096 float32 ulps above for normals.
      check(bits + (1 << 12));
      check(bits + (1 << 12) - 1);
      check(bits + (1 << 12) + 1);
    }
    // A stride through all 2^32 bit patterns, and random ones.
    for (long bits = 0; bits < 1L << 32; bits += 251) {
      check((int) bits);
    }
    SplittableRandom random = new SplittableRandom(17);
    for (int i = 0; i < 2_000_000; i++) {
      check(random.nextInt());
      check(Float.floatToRawIntBits((float) (random.nextGaussian() * 100)));
    }
  }

  private static void check(int bits) {
    float value = Float.intBitsToFloat(bits);
    short expected = Fp16Conversions.floatToFp16(value);
    short actual = Half.fromFloat(value);
    if (actual != expected) {
      throw new AssertionError(String.format("float bits %08x (%s): expected half %04x, found %04x", bits, value,
          expected & 0xFFFF, actual & 0xFFFF));
    }
  }
}
