package io.inkflow.inference.diffusion;

/**
 * The initial latent noise of one image, a function of its seed alone.
 *
 * <p>SplitMix64 seeded with the mixed seed; uniform doubles in (0, 1] from the top 53 bits;
 * Box-Muller pairs (cos first, then sin) with {@link StrictMath}, so every JVM gives the same
 * values; rounded to float and filled in C, H, W order. {@code scripts/models/inkflow_models/rng.py}
 * implements the same recipe for training and evaluation scripts.
 */
public final class LatentNoise {
  private static final long GAMMA = 0x9E3779B97F4A7C15L;

  private LatentNoise() {}

  /** {@code count} standard normal values for {@code seed}. */
  public static float[] gaussian(long seed, int count) {
    float[] out = new float[count];
    fill(seed, out, 0, count);
    return out;
  }

  /** Fills {@code out[offset .. offset + count)} with the noise of {@code seed}. */
  public static void fill(long seed, float[] out, int offset, int count) {
    long state = mix(seed);
    for (int i = 0; i < count; i += 2) {
      state += GAMMA;
      double u1 = uniform(mix(state));
      state += GAMMA;
      double u2 = uniform(mix(state));
      double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
      double theta = 2.0 * StrictMath.PI * u2;
      out[offset + i] = (float) (r * StrictMath.cos(theta));
      if (i + 1 < count) {
        out[offset + i + 1] = (float) (r * StrictMath.sin(theta));
      }
    }
  }

  private static double uniform(long bits) {
    return ((bits >>> 11) + 1) * 0x1.0p-53;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
