package io.inkflow.inference.scheduler;

/**
 * diffusers' {@code EulerDiscreteScheduler} (schedulers/scheduling_euler_discrete.py): Euler steps
 * on the probability-flow ODE in sigma space (Karras et al. 2022, Algorithm 2 without churn).
 *
 * <p>Deterministic: {@code s_churn} is 0, as in every diffusers pipeline, so no step draws noise.
 * Sigmas are interpolated from the training sigmas at the float timesteps, or placed by Karras'
 * rule with {@code use_karras_sigmas}; the denoiser input is divided by {@code sqrt(sigma^2 + 1)}.
 */
final class EulerDiscrete extends BaseScheduler {
  private final float[] sigmas;
  private final String prediction;
  private float[] work;
  private final float initNoiseSigma;

  EulerDiscrete(SchedulerConfig config, int steps) {
    this(config, steps, schedule(config, steps));
  }

  private EulerDiscrete(SchedulerConfig config, int steps, float[][] schedule) {
    super(schedule[0]);
    this.sigmas = schedule[1];
    this.prediction = config.predictionType();
    this.initNoiseSigma = initNoiseSigma(sigmas, config.timestepSpacing());
  }

  /** {timesteps, sigmas} as {@code set_timesteps(steps)} builds them. */
  static float[][] schedule(SchedulerConfig config, int steps) {
    String name = config.className();
    int trainSteps = config.numTrainTimesteps();
    checkSteps(name, steps, trainSteps);
    String spacing = config.timestepSpacing();
    float[] timesteps = Spacing.eulerTimesteps(spacing, trainSteps, steps, config.stepsOffset());
    checkTimesteps(name, spacing, steps, timesteps, trainSteps, true);
    float[] trainSigmas = Numerics.trainSigmas(Numerics.alphasCumprod(config));
    double[] sigmas = new double[timesteps.length];
    for (int i = 0; i < sigmas.length; i++) {
      sigmas[i] = Numerics.interp(timesteps[i], trainSigmas);
    }
    boolean karras = config.effective().containsKey(SchedulerConfig.USE_KARRAS_SIGMAS)
        && config.flag(SchedulerConfig.USE_KARRAS_SIGMAS);
    if (karras) {
      Object min = config.value(SchedulerConfig.SIGMA_MIN);
      Object max = config.value(SchedulerConfig.SIGMA_MAX);
      sigmas = Numerics.karras(min != null ? (Double) min : sigmas[sigmas.length - 1],
          max != null ? (Double) max : sigmas[0], sigmas.length);
      double[] logSigmas = Numerics.logs(trainSigmas);
      for (int i = 0; i < sigmas.length; i++) {
        timesteps[i] = (float) Numerics.sigmaToT(sigmas[i], logSigmas);
      }
    }
    boolean sigmaMinLast = config.effective().containsKey(SchedulerConfig.FINAL_SIGMAS_TYPE)
        && config.stringValue(SchedulerConfig.FINAL_SIGMAS_TYPE).equals("sigma_min");
    float[] out = new float[sigmas.length + 1];
    for (int i = 0; i < sigmas.length; i++) {
      out[i] = (float) sigmas[i];
    }
    out[sigmas.length] = sigmaMinLast ? trainSigmas[0] : 0f;
    return new float[][] {timesteps, out};
  }

  /** {@code init_noise_sigma}: the largest sigma, or {@code sqrt(max^2 + 1)} for leading spacing. */
  static float initNoiseSigma(float[] sigmas, String spacing) {
    float max = 0f;
    for (float s : sigmas) {
      max = Math.max(max, s);
    }
    return spacing.equals("leading") ? (float) Math.sqrt(max * max + 1f) : max;
  }

  /** {@code scale_model_input}'s divisor, {@code (sigma**2 + 1) ** 0.5} in float32. */
  static float sigmaInputDivisor(float sigma) {
    return (float) Math.sqrt(sigma * sigma + 1f);
  }

  /** {@code pred_original_sample} for one element, as Euler and Euler Ancestral compute it. */
  /**
   * diffusers' {@code pred_original_sample} of Euler (and Euler Ancestral) into {@code out}, element-wise in
   * float32: {@code sample - sigma * model_output} (epsilon), {@code model_output * (-sigma / sqrt(sigma^2 + 1))
   * + sample / (sigma^2 + 1)} (v-prediction), or the model output itself (sample). One loop per prediction type,
   * so the branch is taken once per step, not per element.
   */
  static void predictOriginal(String prediction, float sigma, float[] sample, float[] modelOutput, float[] out) {
    int n = sample.length;
    switch (prediction) {
      case "epsilon":
        for (int i = 0; i < n; i++) {
          out[i] = sample[i] - sigma * modelOutput[i];
        }
        break;
      case "v_prediction": {
        float s2p1 = sigma * sigma + 1f;
        float cOut = -sigma / (float) Math.sqrt(s2p1);
        for (int i = 0; i < n; i++) {
          out[i] = modelOutput[i] * cOut + sample[i] / s2p1;
        }
        break;
      }
      default: // sample, original_sample
        System.arraycopy(modelOutput, 0, out, 0, n);
    }
  }

  /** A scratch array of the sample's length, kept between steps. */
  static float[] scratch(float[] current, int n) {
    return current != null && current.length == n ? current : new float[n];
  }

  @Override
  float[] sigmas() {
    return sigmas.clone();
  }

  @Override
  public float initNoiseSigma() {
    return initNoiseSigma;
  }

  @Override
  public float inputDivisor(int step) {
    return sigmaInputDivisor(sigmas[index(step)]);
  }

  @Override
  void update(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised) {
    float sigma = sigmas[step];
    float dt = sigmas[step + 1] - sigma;
    float[] x0 = denoised != null ? denoised : (work = scratch(work, sample.length));
    predictOriginal(prediction, sigma, sample, modelOutput, x0);
    for (int i = 0; i < sample.length; i++) {
      sample[i] = sample[i] + ((sample[i] - x0[i]) / sigma) * dt;
    }
  }
}
