package io.inkflow.inference.runtime;

import ai.onnxruntime.platform.Fp16Conversions;

/**
 * float32 ↔ float16 at the graph boundary of fp16 exports, with the results of ONNX Runtime's {@link
 * Fp16Conversions} (round to nearest even) but at a fraction of the cost: every latent value of a
 * 1024 px Flux step crosses the boundary twice, and ONNX Runtime's per-value conversion made that
 * the largest Java cost of a step (see {@code docs/benchmarks.md}). float16 → float32 is a table of
 * all 65 536 values; float32 → float16 is the usual bit manipulation, checked against ONNX Runtime's
 * on every float16 boundary and on millions of other values in {@code HalfTest}.
 */
public final class Half {
  private static final float[] TO_FLOAT = new float[1 << 16];

  static {
    for (int h = 0; h < TO_FLOAT.length; h++) {
      TO_FLOAT[h] = Fp16Conversions.fp16ToFloat((short) h);
    }
  }

  private Half() {}

  /** The float32 value of a float16's bits. */
  public static float toFloat(short half) {
    return TO_FLOAT[half & 0xFFFF];
  }

  /** The float16 bits nearest to {@code value} (ties to even); infinities and NaN as ONNX Runtime gives them. */
  public static short fromFloat(float value) {
    int bits = Float.floatToRawIntBits(value);
    int sign = (bits >>> 16) & 0x8000;
    int magnitude = bits & 0x7FFFFFFF;
    if (magnitude > 0x7F800000) {
      return Fp16Conversions.floatToFp16(value); // NaN: keep ONNX Runtime's payload rule
    }
    int out;
    if (magnitude >= 0x47800000) {
      out = 0x7C00; // 65536 and above, and infinity: infinity
    } else if (magnitude < 0x38800000) {
      // Below the smallest normal float16: add 0.5f so the FPU rounds the subnormal mantissa into place.
      out = Float.floatToRawIntBits(Float.intBitsToFloat(magnitude) + 0.5f) - 0x3F000000;
    } else {
      int mantissaOdd = (magnitude >>> 13) & 1;
      // Rebias the exponent (127 -> 15) and round the 13 dropped bits to nearest even.
      out = (magnitude + 0xC8000FFF + mantissaOdd) >>> 13;
    }
    return (short) (out | sign);
  }
}
