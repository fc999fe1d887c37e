package io.inkflow.inference.diffusion;

/**
 * Flow-matching Euler sampler (rectified flow, as in SD3 and Seedream).
 *
 * <p>A latent at noise level sigma is {@code x = (1 - sigma) * x0 + sigma * noise}; the transformer
 * predicts the velocity {@code v = noise - x0}, and one Euler step from sigma_i to sigma_{i+1} is
 * {@code x += (sigma_{i+1} - sigma_i) * v}. Sigmas fall linearly from 1 to 0 over the steps, then
 * are shifted towards the noisy end, {@code s' = shift * s / (1 + (shift - 1) * s)}, which spends
 * more steps at high noise where large images need them. The transformer receives
 * {@code sigma * 1000} as its timestep.
 */
public final class FlowMatchEulerScheduler {
  private final double shift;

  public FlowMatchEulerScheduler(double shift) {
    if (!(shift > 0) || Double.isInfinite(shift)) {
      throw new IllegalArgumentException("expected a positive shift, found " + shift);
    }
    this.shift = shift;
  }

  public double shift() {
    return shift;
  }

  /** The steps + 1 shifted noise levels, from 1 down to 0. */
  public double[] sigmas(int steps) {
    if (steps <= 0) {
      throw new IllegalArgumentException("expected at least one step, found " + steps);
    }
    double[] out = new double[steps + 1];
    for (int i = 0; i <= steps; i++) {
      double s = 1.0 - (double) i / steps;
      out[i] = shift * s / (1.0 + (shift - 1.0) * s);
    }
    return out;
  }

  /** The transformer's timestep input for a noise level. */
  public static float timestep(double sigma) {
    return (float) (sigma * 1000.0);
  }

  /** One Euler step in place: {@code x += (sigmaNext - sigma) * v}. */
  public static void step(float[] x, float[] v, double sigma, double sigmaNext) {
    float dt = (float) (sigmaNext - sigma);
    for (int i = 0; i < x.length; i++) {
      x[i] = x[i] + dt * v[i];
    }
  }
}
