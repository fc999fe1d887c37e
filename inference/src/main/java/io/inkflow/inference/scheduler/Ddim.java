package io.inkflow.inference.scheduler;

/**
 * diffusers' {@code DDIMScheduler} (schedulers/scheduling_ddim.py) with {@code eta = 0}, the
 * deterministic DDIM of Song et al. (2020) that the Stable Diffusion pipelines run by default.
 *
 * <p>Each step predicts the clean latent and the noise, then re-noises to the previous timestep
 * {@code t - num_train_timesteps // steps} (the final alpha below 0). The denoiser input is not
 * scaled and no step draws noise.
 */
final class Ddim extends BaseScheduler {
  private final float[] alphasCumprod;
  private final float finalAlphaCumprod;
  private final int stepRatio;
  private final String prediction;
  private float[] work;
  private float[] epsilon;
  private final float clipRange;

  Ddim(SchedulerConfig config, int steps) {
    super(timesteps(config, steps));
    this.alphasCumprod = Numerics.alphasCumprod(config);
    this.finalAlphaCumprod = config.flag(SchedulerConfig.SET_ALPHA_TO_ONE) ? 1f : alphasCumprod[0];
    this.stepRatio = config.numTrainTimesteps() / steps;
    this.prediction = config.predictionType();
    this.clipRange = clipRange(config);
  }

  private static float[] timesteps(SchedulerConfig config, int steps) {
    String name = config.className();
    int trainSteps = config.numTrainTimesteps();
    checkSteps(name, steps, trainSteps);
    String spacing = config.timestepSpacing();
    float[] timesteps = Spacing.toFloats(Spacing.ddimTimesteps(spacing, trainSteps, steps, config.stepsOffset()));
    checkTimesteps(name, spacing, steps, timesteps, trainSteps, true);
    return timesteps;
  }

  /** The {@code clip_sample_range} when {@code clip_sample} is on, else NaN. */
  static float clipRange(SchedulerConfig config) {
    return config.flag(SchedulerConfig.CLIP_SAMPLE)
        ? (float) config.doubleValue(SchedulerConfig.CLIP_SAMPLE_RANGE) : Float.NaN;
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
  void update(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised) {
    int t = (int) timesteps[step];
    int prevT = t - stepRatio;
    float alphaT = alphasCumprod[t];
    float alphaPrev = prevT >= 0 ? alphasCumprod[prevT] : finalAlphaCumprod;
    float betaT = 1f - alphaT;
    float sqrtAlphaT = (float) Math.sqrt(alphaT);
    float sqrtBetaT = (float) Math.sqrt(betaT);
    float sqrtAlphaPrev = (float) Math.sqrt(alphaPrev);
    float directionCoeff = (float) Math.sqrt(1f - alphaPrev - 0f); // std_dev_t ** 2 is 0 at eta 0
    int n = sample.length;
    // One loop per prediction type: the branch is taken once per step, not per element.
    float[] x0 = denoised != null ? denoised : (work = EulerDiscrete.scratch(work, n));
    if (prediction.equals("epsilon") && Float.isNaN(clipRange)) {
      // The common case in one pass: epsilon is the model output itself.
      for (int i = 0; i < n; i++) {
        x0[i] = (sample[i] - sqrtBetaT * modelOutput[i]) / sqrtAlphaT;
        sample[i] = sqrtAlphaPrev * x0[i] + directionCoeff * modelOutput[i];
      }
      return;
    }
    float[] eps = epsilon = EulerDiscrete.scratch(epsilon, n);
    switch (prediction) {
      case "epsilon":
        for (int i = 0; i < n; i++) {
          x0[i] = (sample[i] - sqrtBetaT * modelOutput[i]) / sqrtAlphaT;
        }
        System.arraycopy(modelOutput, 0, eps, 0, n);
        break;
      case "v_prediction":
        for (int i = 0; i < n; i++) {
          x0[i] = sqrtAlphaT * sample[i] - sqrtBetaT * modelOutput[i];
          eps[i] = sqrtAlphaT * modelOutput[i] + sqrtBetaT * sample[i];
        }
        break;
      default: // sample: epsilon from the unclipped prediction
        for (int i = 0; i < n; i++) {
          x0[i] = modelOutput[i];
          eps[i] = (sample[i] - sqrtAlphaT * modelOutput[i]) / sqrtBetaT;
        }
    }
    if (!Float.isNaN(clipRange)) {
      for (int i = 0; i < n; i++) {
        x0[i] = Math.min(Math.max(x0[i], -clipRange), clipRange);
      }
    }
    for (int i = 0; i < n; i++) {
      sample[i] = sqrtAlphaPrev * x0[i] + directionCoeff * eps[i];
    }
  }
}
