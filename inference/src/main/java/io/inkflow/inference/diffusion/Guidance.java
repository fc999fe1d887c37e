package io.inkflow.inference.diffusion;

/**
 * Classifier-free guidance: {@code v = v_uncond + g * (v_cond - v_uncond)}. A scale of 1 or less
 * means no guidance and uses {@code v_cond} as is (no uncond row is needed for it), so an image's
 * result does not depend on whether its batch-mates needed uncond rows.
 */
public final class Guidance {
  private Guidance() {}

  /** Whether a scale needs an unconditional prediction. */
  public static boolean needsUncond(double scale) {
    return scale > 1.0;
  }

  /**
   * Guided velocity of one image into {@code out[outOffset..]}, from {@code velocity}'s cond block
   * at {@code condOffset} and uncond block at {@code uncondOffset} (ignored without guidance).
   */
  public static void combine(float[] velocity, int condOffset, int uncondOffset, int length, float scale,
      float[] out, int outOffset) {
    if (!needsUncond(scale)) {
      System.arraycopy(velocity, condOffset, out, outOffset, length);
      return;
    }
    for (int i = 0; i < length; i++) {
      float c = velocity[condOffset + i];
      float u = velocity[uncondOffset + i];
      out[outOffset + i] = u + scale * (c - u);
    }
  }
}
