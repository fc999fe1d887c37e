package io.inkflow.inference.scheduler;

/**
 * diffusers' {@code LCMScheduler} (schedulers/scheduling_lcm.py): multistep consistency sampling
 * for Latent Consistency Models and LCM-LoRA (Luo et al. 2023).
 *
 * <p>Timesteps are a subset of the {@code original_inference_steps}-point distillation schedule
 * ({@code timestep_spacing} and {@code steps_offset} are not read, as in diffusers). Each step
 * computes the consistency function's {@code denoised} latent, the image pipelines decode after
 * the last step, and re-noises it to the next timestep with fresh noise, on every step but the
 * last. The denoiser input is not scaled.
 */
final class Lcm extends BaseScheduler {
  private static final float SIGMA_DATA_SQUARED = 0.25f; // sigma_data = 0.5

  private final float[] alphasCumprod;
  private final float finalAlphaCumprod;
  private final float timestepScaling;
  private final String prediction;
  private float[] work;
  private final float clipRange;

  Lcm(SchedulerConfig config, int steps) {
    super(timesteps(config, steps));
    this.alphasCumprod = Numerics.alphasCumprod(config);
    this.finalAlphaCumprod = config.flag(SchedulerConfig.SET_ALPHA_TO_ONE) ? 1f : alphasCumprod[0];
    this.timestepScaling = (float) config.doubleValue(SchedulerConfig.TIMESTEP_SCALING);
    this.prediction = config.predictionType();
    this.clipRange = Ddim.clipRange(config);
  }

  private static float[] timesteps(SchedulerConfig config, int steps) {
    String name = config.className();
    int trainSteps = config.numTrainTimesteps();
    int original = config.intValue(SchedulerConfig.ORIGINAL_INFERENCE_STEPS);
    checkSteps(name, steps, original);
    int k = trainSteps / original;
    // the distillation schedule k-1, 2k-1, ..., original*k-1, descending
    double[] indices = Numerics.linspace(0, original, steps, false);
    float[] out = new float[steps];
    for (int i = 0; i < steps; i++) {
      int index = (int) Math.floor(indices[i]);
      out[i] = (original - index) * k - 1;
    }
    return out;
  }

  @Override
  float[] sigmas() {
    return null;
  }

  @Override
  public float initNoiseSigma() {
    return 1f;
  }

  @Override
  public boolean drawsNoise(int step) {
    return index(step) != timesteps.length - 1;
  }

  @Override
  void update(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised) {
    int t = (int) timesteps[step];
    int prevT = step + 1 < timesteps.length ? (int) timesteps[step + 1] : t;
    float alphaT = alphasCumprod[t];
    float alphaPrev = prevT >= 0 ? alphasCumprod[prevT] : finalAlphaCumprod;
    float sqrtAlphaT = (float) Math.sqrt(alphaT);
    float sqrtBetaT = (float) Math.sqrt(1f - alphaT);
    float sqrtAlphaPrev = (float) Math.sqrt(alphaPrev);
    float sqrtBetaPrev = (float) Math.sqrt(1f - alphaPrev);
    // get_scalings_for_boundary_condition_discrete, on the float32 timestep tensor
    float scaled = t * timestepScaling;
    float cSkip = SIGMA_DATA_SQUARED / (scaled * scaled + SIGMA_DATA_SQUARED);
    float cOut = scaled / (float) Math.sqrt(scaled * scaled + SIGMA_DATA_SQUARED);
    boolean last = step == timesteps.length - 1;
    int n = sample.length;
    // One loop per prediction type: the branch is taken once per step, not per element.
    float[] x0 = work = EulerDiscrete.scratch(work, n);
    switch (prediction) {
      case "epsilon":
        for (int i = 0; i < n; i++) {
          x0[i] = (sample[i] - sqrtBetaT * modelOutput[i]) / sqrtAlphaT;
        }
        break;
      case "v_prediction":
        for (int i = 0; i < n; i++) {
          x0[i] = sqrtAlphaT * sample[i] - sqrtBetaT * modelOutput[i];
        }
        break;
      default:
        System.arraycopy(modelOutput, 0, x0, 0, n);
    }
    if (!Float.isNaN(clipRange)) {
      for (int i = 0; i < n; i++) {
        x0[i] = Math.min(Math.max(x0[i], -clipRange), clipRange);
      }
    }
    for (int i = 0; i < n; i++) {
      float d = cOut * x0[i] + cSkip * sample[i];
      if (denoised != null) {
        denoised[i] = d;
      }
      sample[i] = last ? d : sqrtAlphaPrev * d + sqrtBetaPrev * noise[i];
    }
  }
}
