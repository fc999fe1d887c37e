package io.inkflow.inference.scheduler;

/**
 * diffusers' {@code FlowMatchEulerDiscreteScheduler}
 * (schedulers/scheduling_flow_match_euler_discrete.py): Euler steps on a rectified-flow ODE, as SD3
 * and Flux sample. Sigmas fall from 1 towards 0, shifted towards the noisy end either by the
 * config's {@code shift} (SD3) or, with {@code use_dynamic_shifting}, by {@code mu} from the image
 * size (Flux); the denoiser receives {@code sigma * num_train_timesteps}.
 *
 * <p>The latent starts as the unscaled noise ({@link #initNoiseSigma} is 1), the denoiser input is
 * not scaled and no step draws noise.
 */
final class FlowMatchEulerDiscrete extends BaseScheduler {
  private final float[] sigmas;

  private FlowMatchEulerDiscrete(float[] timesteps, float[] sigmas) {
    super(timesteps);
    this.sigmas = sigmas;
  }

  /** {@code set_timesteps(steps)}, as the SD3 pipeline calls it. */
  static FlowMatchEulerDiscrete withDefaultSigmas(SchedulerConfig config, int steps) {
    String name = config.className();
    int trainSteps = config.numTrainTimesteps();
    checkSteps(name, steps, Integer.MAX_VALUE);
    if (config.flag(SchedulerConfig.USE_DYNAMIC_SHIFTING)) {
      throw new IllegalArgumentException(name + ": use_dynamic_shifting is true, so the schedule needs mu:"
          + " expected Scheduler.createFlow(config, steps, mu), found Scheduler.create(config, steps)");
    }
    double shift = config.doubleValue(SchedulerConfig.SHIFT);
    // __init__ shifts the 1000 training sigmas in float32; set_timesteps spaces its timesteps between
    // the shifted extremes and shifts again, in float64, as diffusers does
    float[] train = trainSigmas(trainSteps, shift);
    double[] t = Numerics.linspace((double) train[0] * trainSteps, (double) train[trainSteps - 1] * trainSteps,
        steps, true);
    double[] sigmas = new double[steps];
    for (int i = 0; i < steps; i++) {
      double s = t[i] / trainSteps;
      sigmas[i] = shift * s / (1 + (shift - 1) * s);
    }
    float[] f = new float[steps];
    for (int i = 0; i < steps; i++) {
      f[i] = (float) sigmas[i];
    }
    return finish(f, trainSteps);
  }

  /** {@code set_timesteps(sigmas=np.linspace(1, 1/steps, steps), mu=mu)}, as {@code FluxPipeline} calls it. */
  static FlowMatchEulerDiscrete withFluxSigmas(SchedulerConfig config, int steps, double mu) {
    checkSteps(config.className(), steps, Integer.MAX_VALUE);
    double[] input = Numerics.linspace(1.0, 1.0 / steps, steps, true);
    float[] sigmas = new float[steps];
    for (int i = 0; i < steps; i++) {
      sigmas[i] = (float) input[i];
    }
    if (config.flag(SchedulerConfig.USE_DYNAMIC_SHIFTING)) {
      if (!Double.isFinite(mu)) {
        throw new IllegalArgumentException(config.className() + ": mu: expected a finite number, found " + mu);
      }
      boolean exponential = config.stringValue(SchedulerConfig.TIME_SHIFT_TYPE).equals("exponential");
      // numpy float32 arithmetic: the Python float scalar is rounded to float first
      float m = (float) (exponential ? Math.exp(mu) : mu);
      for (int i = 0; i < steps; i++) {
        sigmas[i] = m / (m + (1f / sigmas[i] - 1f));
      }
    } else {
      float shift = (float) config.doubleValue(SchedulerConfig.SHIFT);
      float shiftLess1 = (float) (config.doubleValue(SchedulerConfig.SHIFT) - 1);
      for (int i = 0; i < steps; i++) {
        sigmas[i] = shift * sigmas[i] / (1f + shiftLess1 * sigmas[i]);
      }
    }
    return finish(sigmas, config.numTrainTimesteps());
  }

  /** The float32 training sigmas of {@code __init__}, shifted. */
  private static float[] trainSigmas(int trainSteps, double shift) {
    double[] t = Numerics.linspace(1, trainSteps, trainSteps, true);
    float shiftF = (float) shift;
    float shiftLess1 = (float) (shift - 1);
    float[] out = new float[trainSteps];
    for (int i = 0; i < trainSteps; i++) {
      float s = (float) t[trainSteps - 1 - i] / (float) trainSteps;
      out[i] = shiftF * s / (1f + shiftLess1 * s);
    }
    return out;
  }

  private static FlowMatchEulerDiscrete finish(float[] sigmas, int trainSteps) {
    float[] timesteps = new float[sigmas.length];
    float[] withLast = new float[sigmas.length + 1];
    for (int i = 0; i < sigmas.length; i++) {
      timesteps[i] = sigmas[i] * (float) trainSteps;
      withLast[i] = sigmas[i];
    }
    return new FlowMatchEulerDiscrete(timesteps, withLast);
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
    float sigma = sigmas[step];
    float dt = sigmas[step + 1] - sigma;
    for (int i = 0; i < sample.length; i++) {
      if (denoised != null) {
        denoised[i] = sample[i] - sigma * modelOutput[i];
      }
      sample[i] = sample[i] + dt * modelOutput[i];
    }
  }
}
