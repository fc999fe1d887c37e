package io.inkflow.inference.scheduler;

import java.util.List;

/**
 * The numpy and torch primitives that diffusers builds its schedules from, reproduced with the
 * same precision and rounding so that Java schedules equal the Python ones value for value.
 */
final class Numerics {
  private Numerics() {}

  /**
   * {@code torch.linspace(start, end, steps, dtype=float32)} on CPU as torch 1.13 computes it:
   * the start and end are rounded to float, the first half counts up from the start and the second
   * half down from the end, in blocks of sixteen (two AVX2 vectors) whose lanes add multiples of
   * the step with fused multiply-adds, and a scalar tail. The fused rounding matters: plain
   * arithmetic gives a different last bit for a quarter of SD's 1000 betas.
   */
  static float[] torchLinspace(double start, double end, int steps) {
    float s = (float) start;
    float e = (float) end;
    float[] out = new float[steps];
    if (steps == 1) {
      out[0] = s;
      return out;
    }
    float step = (e - s) / (float) (steps - 1);
    int half = steps / 2;
    int vectorEnd = steps / 16 * 16;
    for (int v = 0; v < vectorEnd; v += 8) {
      float base = fromNearerEnd(v, steps, half, s, e, step);
      for (int lane = 0; lane < 8; lane++) {
        out[v + lane] = Math.fma((float) lane, step, base);
      }
    }
    for (int i = vectorEnd; i < steps; i++) {
      out[i] = fromNearerEnd(i, steps, half, s, e, step);
    }
    return out;
  }

  private static float fromNearerEnd(int i, int steps, int half, float start, float end, float step) {
    return i < half ? Math.fma(step, (float) i, start) : Math.fma(-step, (float) (steps - i - 1), end);
  }

  /** {@code np.linspace(start, stop, num, endpoint)} in float64: {@code i * step + start}, the endpoint exact. */
  static double[] linspace(double start, double stop, int num, boolean endpoint) {
    double[] out = new double[num];
    int div = endpoint ? num - 1 : num;
    if (div <= 0) {
      if (num == 1) {
        out[0] = start;
      }
      return out;
    }
    double step = (stop - start) / div;
    for (int i = 0; i < num; i++) {
      out[i] = i * step + start;
    }
    if (endpoint && num > 1) {
      out[num - 1] = stop;
    }
    return out;
  }

  /**
   * {@code np.arange(start, 0, -step)} for a float step: its length is
   * {@code ceil((0 - start) / -step)} and element i is {@code start + i * delta}, where delta is
   * the rounded difference of the first two elements, as numpy's fill does.
   */
  static double[] arangeDown(double start, double step) {
    int length = (int) Math.ceil((0 - start) / -step);
    double[] out = new double[Math.max(length, 0)];
    double delta = (start + -step) - start;
    for (int i = 0; i < out.length; i++) {
      out[i] = i == 0 ? start : i == 1 ? start + -step : start + i * delta;
    }
    return out;
  }

  /** {@code np.interp(x, arange(len(fp)), fp)}: linear interpolation, clamped at both ends. */
  static double interp(double x, float[] fp) {
    int last = fp.length - 1;
    if (Double.isNaN(x)) {
      return x;
    }
    if (x < 0) {
      return fp[0];
    }
    if (x >= last) {
      return fp[last];
    }
    int j = (int) Math.floor(x);
    if (j == x) {
      return fp[j];
    }
    double slope = (double) fp[j + 1] - fp[j];
    return slope * (x - j) + fp[j];
  }

  /**
   * The training {@code alphas_cumprod} as diffusers' DDPM-family schedulers hold them (float32):
   * betas from the schedule or the trained list, {@code alphas = 1 - betas} in float and a
   * cumulative product accumulated in double (torch's CPU cumprod), rounded per element.
   */
  static float[] alphasCumprod(SchedulerConfig config) {
    int n = config.numTrainTimesteps();
    float[] betas = betas(config, n);
    float[] out = new float[n];
    double acc = 1.0;
    for (int i = 0; i < n; i++) {
      acc *= 1f - betas[i];
      out[i] = (float) acc;
    }
    return out;
  }

  private static float[] betas(SchedulerConfig config, int n) {
    List<Double> trained = config.trainedBetas();
    if (trained != null) {
      float[] out = new float[n];
      for (int i = 0; i < n; i++) {
        out[i] = trained.get(i).floatValue();
      }
      return out;
    }
    double start = config.doubleValue(SchedulerConfig.BETA_START);
    double end = config.doubleValue(SchedulerConfig.BETA_END);
    switch (config.stringValue(SchedulerConfig.BETA_SCHEDULE)) {
      case "linear":
        return torchLinspace(start, end, n);
      case "scaled_linear": {
        float[] roots = torchLinspace(Math.sqrt(start), Math.sqrt(end), n);
        for (int i = 0; i < n; i++) {
          roots[i] = roots[i] * roots[i];
        }
        return roots;
      }
      default: // squaredcos_cap_v2, the only other value the config lets through
        return squaredCosine(n);
    }
  }

  /** {@code betas_for_alpha_bar(n)} with the cosine transform, in double, rounded to float. */
  private static float[] squaredCosine(int n) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double t1 = (double) i / n;
      double t2 = (double) (i + 1) / n;
      out[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
    }
    return out;
  }

  private static double alphaBar(double t) {
    double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
    return c * c;
  }

  /** The training sigmas {@code ((1 - a) / a) ** 0.5} in float32, ascending with the timestep. */
  static float[] trainSigmas(float[] alphasCumprod) {
    float[] out = new float[alphasCumprod.length];
    for (int i = 0; i < out.length; i++) {
      float a = alphasCumprod[i];
      out[i] = (float) Math.sqrt((1f - a) / a);
    }
    return out;
  }

  /** The Karras et al. (2022) noise levels between sigmaMax and sigmaMin, rho 7, in double. */
  static double[] karras(double sigmaMin, double sigmaMax, int steps) {
    double rho = 7.0;
    double[] ramp = linspace(0, 1, steps, true);
    double minInvRho = Math.pow(sigmaMin, 1 / rho);
    double maxInvRho = Math.pow(sigmaMax, 1 / rho);
    double[] out = new double[steps];
    for (int i = 0; i < steps; i++) {
      out[i] = Math.pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
    }
    return out;
  }

  /**
   * {@code _sigma_to_t}: the fractional training timestep whose log-sigma interpolates to the
   * given sigma's, evaluated in double.
   */
  static double sigmaToT(double sigma, double[] logSigmas) {
    double logSigma = Math.log(Math.max(sigma, 1e-10));
    int low = 0;
    for (int i = 0; i < logSigmas.length; i++) {
      if (logSigma - logSigmas[i] >= 0) {
        low = i;
      }
    }
    low = Math.min(low, logSigmas.length - 2);
    double lo = logSigmas[low];
    double hi = logSigmas[low + 1];
    double w = (lo - logSigma) / (lo - hi);
    w = Math.min(Math.max(w, 0), 1);
    return (1 - w) * low + w * (low + 1);
  }

  /** {@code np.log} of a float32 array: float32 logs, widened. */
  static double[] logs(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) Math.log(values[i]);
    }
    return out;
  }
}
