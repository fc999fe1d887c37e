package io.inkflow.inference.scheduler;

/**
 * diffusers' {@code DPMSolverMultistepScheduler} (schedulers/scheduling_dpmsolver_multistep.py)
 * with {@code algorithm_type="dpmsolver++"} and the midpoint solver: DPM-Solver++(2M) of Lu et al.
 * (2022), the "DPM++ 2M" (with Karras sigmas, "DPM++ 2M Karras") of the web UIs.
 *
 * <p>Each step converts the model output to a data prediction and solves the diffusion ODE in
 * log-SNR time; from the second step on it extrapolates with the previous step's prediction, which
 * this instance keeps. The first step, and the last one when {@code final_sigmas_type="zero"},
 * {@code euler_at_final}, or {@code lower_order_final} below 15 steps, are first order.
 * Deterministic; the denoiser input is not scaled.
 */
final class DpmSolverMultistep extends BaseScheduler {
  private final float[] sigmas;
  private final String prediction;
  private final int solverOrder;
  private final boolean lowerOrderFinal;
  private float[] previous;
  /** The buffer the next step's x0 is written to (the one before the previous). */
  private float[] spare;

  DpmSolverMultistep(SchedulerConfig config, int steps) {
    this(config, schedule(config, steps));
  }

  private DpmSolverMultistep(SchedulerConfig config, Object[] schedule) {
    super((float[]) schedule[0]);
    this.sigmas = (float[]) schedule[1];
    this.prediction = config.predictionType();
    this.solverOrder = config.intValue(SchedulerConfig.SOLVER_ORDER);
    int n = timesteps.length;
    this.lowerOrderFinal = config.flag(SchedulerConfig.EULER_AT_FINAL)
        || (config.flag(SchedulerConfig.LOWER_ORDER_FINAL) && n < 15)
        || config.stringValue(SchedulerConfig.FINAL_SIGMAS_TYPE).equals("zero");
  }

  private static Object[] schedule(SchedulerConfig config, int steps) {
    String name = config.className();
    int trainSteps = config.numTrainTimesteps();
    checkSteps(name, steps, trainSteps);
    float[] alphasCumprod = Numerics.alphasCumprod(config);
    float[] trainSigmas = Numerics.trainSigmas(alphasCumprod);
    int last = trainSteps - clipped(alphasCumprod, config.doubleValue(SchedulerConfig.LAMBDA_MIN_CLIPPED));
    String spacing = config.timestepSpacing();
    boolean karras = config.flag(SchedulerConfig.USE_KARRAS_SIGMAS);
    long[] timesteps = Spacing.dpmTimesteps(spacing, trainSteps, last, steps, config.stepsOffset());
    double[] sigmas;
    if (karras) {
      // Karras sigmas span the whole training range whatever the spacing; timesteps follow them
      sigmas = Numerics.karras(trainSigmas[0], trainSigmas[trainSteps - 1], steps);
      double[] logSigmas = Numerics.logs(trainSigmas);
      timesteps = new long[steps];
      for (int i = 0; i < steps; i++) {
        double t = Numerics.sigmaToT(sigmas[i], logSigmas);
        timesteps[i] = (long) (config.stringValue(SchedulerConfig.BETA_SCHEDULE).equals("squaredcos_cap_v2")
            ? t : Math.rint(t));
      }
    } else {
      sigmas = new double[timesteps.length];
      for (int i = 0; i < sigmas.length; i++) {
        sigmas[i] = Numerics.interp(timesteps[i], trainSigmas);
      }
    }
    float[] floatTimesteps = Spacing.toFloats(timesteps);
    checkTimesteps(name, spacing, steps, floatTimesteps, trainSteps, !karras);
    boolean sigmaMinLast = config.stringValue(SchedulerConfig.FINAL_SIGMAS_TYPE).equals("sigma_min");
    float[] out = new float[sigmas.length + 1];
    for (int i = 0; i < sigmas.length; i++) {
      out[i] = (float) sigmas[i];
    }
    out[sigmas.length] = sigmaMinLast ? trainSigmas[0] : 0f;
    return new Object[] {floatTimesteps, out};
  }

  /**
   * How many of the noisiest training timesteps {@code lambda_min_clipped} removes:
   * {@code searchsorted(flip(lambda_t), lambda_min_clipped)}, lambda in float32.
   */
  private static int clipped(float[] alphasCumprod, double lambdaMin) {
    int count = 0;
    for (int i = alphasCumprod.length - 1; i >= 0; i--) {
      float alpha = (float) Math.sqrt(alphasCumprod[i]);
      float sigma = (float) Math.sqrt(1f - alphasCumprod[i]);
      float lambda = (float) Math.log(alpha) - (float) Math.log(sigma);
      if (!(lambda < lambdaMin)) {
        break;
      }
      count++;
    }
    return count;
  }

  @Override
  float[] sigmas() {
    return sigmas.clone();
  }

  @Override
  public float initNoiseSigma() {
    return 1f;
  }

  @Override
  void update(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised) {
    int n = sample.length;
    // convert_model_output: the data prediction x0
    float sigma = sigmas[step];
    float alphaS0 = 1f / (float) Math.sqrt(sigma * sigma + 1f);
    float sigmaS0 = sigma * alphaS0;
    // Two buffers in turn: this step's x0 and the previous one.
    float[] x0 = spare != null && spare.length == n ? spare : new float[n];
    switch (prediction) {
      case "epsilon":
        for (int i = 0; i < n; i++) {
          x0[i] = (sample[i] - sigmaS0 * modelOutput[i]) / alphaS0;
        }
        break;
      case "v_prediction":
        for (int i = 0; i < n; i++) {
          x0[i] = alphaS0 * sample[i] - sigmaS0 * modelOutput[i];
        }
        break;
      default:
        System.arraycopy(modelOutput, 0, x0, 0, n);
    }
    float sigmaNext = sigmas[step + 1];
    float alphaT = 1f / (float) Math.sqrt(sigmaNext * sigmaNext + 1f);
    float sigmaT = sigmaNext * alphaT;
    float lambdaT = log(alphaT) - log(sigmaT);
    float lambdaS0 = log(alphaS0) - log(sigmaS0);
    float h = lambdaT - lambdaS0;
    float sampleCoeff = sigmaT / sigmaS0;
    float d0Coeff = alphaT * ((float) Math.exp(-h) - 1f);
    boolean firstOrder = solverOrder == 1 || previous == null || (lowerOrderFinal && step == timesteps.length - 1);
    if (firstOrder) {
      for (int i = 0; i < n; i++) {
        sample[i] = sampleCoeff * sample[i] - d0Coeff * x0[i];
      }
    } else {
      float sigmaPrev = sigmas[step - 1];
      float alphaS1 = 1f / (float) Math.sqrt(sigmaPrev * sigmaPrev + 1f);
      float sigmaS1 = sigmaPrev * alphaS1;
      float lambdaS1 = log(alphaS1) - log(sigmaS1);
      float r0 = (lambdaS0 - lambdaS1) / h;
      float invR0 = 1f / r0;
      float d1Coeff = 0.5f * d0Coeff;
      for (int i = 0; i < n; i++) {
        float d1 = invR0 * (x0[i] - previous[i]);
        sample[i] = sampleCoeff * sample[i] - d0Coeff * x0[i] - d1Coeff * d1;
      }
    }
    if (denoised != null) {
      System.arraycopy(x0, 0, denoised, 0, n);
    }
    spare = previous;
    previous = x0;
  }

  /** torch.log on a float32 scalar (0 gives -Infinity, as at the final zero sigma). */
  private static float log(float x) {
    return (float) Math.log(x);
  }
}
