package io.inkflow.inference.scheduler;

/**
 * A diffusers noise scheduler after {@code set_timesteps}: the timesteps a sampling loop feeds the
 * denoiser and the update from one noisy latent to the next.
 *
 * <p>One instance serves one sampling run ({@link DpmSolverMultistep} keeps the previous model
 * output). Latents are flat float arrays; a batch is several latents back to back, since all
 * scheduler math is element-wise. The caller draws the noise a step needs (per image, from each
 * image's own seed), so results do not depend on the batch. The loop is
 *
 * <pre>{@code
 * Scheduler s = Scheduler.create(config, steps);
 * x[i] = noise[i] * s.initNoiseSigma();
 * for (int k = 0; k < s.steps(); k++) {
 *   s.scaleModelInput(x, k, input);                 // input = x / s.inputDivisor(k)
 *   modelOutput = denoiser(input, s.timestep(k));
 *   s.step(modelOutput, k, x, s.drawsNoise(k) ? freshNoise() : null);
 * }
 * }</pre>
 *
 * <p>Schedules are computed with the precision diffusers uses (numpy float64 or torch float32,
 * per quantity) and step math in float32 with torch's operation order, so that results match the
 * Python schedulers to a few float32 ulps.
 */
public interface Scheduler {

  /** {@code Class.from_config(config)} then {@code set_timesteps(steps)}, for the class the config names. */
  static Scheduler create(SchedulerConfig config, int steps) {
    return switch (config.className()) {
      case SchedulerConfig.EULER -> new EulerDiscrete(config, steps);
      case SchedulerConfig.EULER_ANCESTRAL -> new EulerAncestralDiscrete(config, steps);
      case SchedulerConfig.DPM_SOLVER_MULTISTEP -> new DpmSolverMultistep(config, steps);
      case SchedulerConfig.DDIM -> new Ddim(config, steps);
      case SchedulerConfig.LCM -> new Lcm(config, steps);
      case SchedulerConfig.FLOW_MATCH_EULER -> FlowMatchEulerDiscrete.withDefaultSigmas(config, steps);
      default -> {
        config.effective(); // throws, naming the supported classes
        throw new IllegalStateException(config.className());
      }
    };
  }

  /**
   * A flow-matching scheduler set up as {@code FluxPipeline} does: input sigmas
   * {@code np.linspace(1, 1/steps, steps)} and {@code set_timesteps(sigmas=..., mu=mu)}; with
   * {@code use_dynamic_shifting} the sigmas are time-shifted by {@code mu} (see
   * {@link #dynamicShiftMu}), otherwise shifted by the config's {@code shift}.
   */
  static Scheduler createFlow(SchedulerConfig config, int steps, double mu) {
    if (!SchedulerConfig.FLOW_MATCH_EULER.equals(config.className())) {
      throw new IllegalArgumentException("createFlow: expected a " + SchedulerConfig.FLOW_MATCH_EULER
          + " config, found " + config.className());
    }
    return FlowMatchEulerDiscrete.withFluxSigmas(config, steps, mu);
  }

  /**
   * Flux's {@code calculate_shift}: mu linear in the image's token count between
   * ({@code base_image_seq_len}, {@code base_shift}) and ({@code max_image_seq_len}, {@code max_shift}).
   */
  static double dynamicShiftMu(SchedulerConfig config, int imageSeqLen) {
    // FluxPipeline reads these with .get(key, default), so a null falls back to the default
    Object base = config.value(SchedulerConfig.BASE_SHIFT);
    Object max = config.value(SchedulerConfig.MAX_SHIFT);
    double baseShift = base == null ? 0.5 : (Double) base;
    double maxShift = max == null ? 1.15 : (Double) max;
    int baseSeqLen = config.intValue(SchedulerConfig.BASE_IMAGE_SEQ_LEN);
    int maxSeqLen = config.intValue(SchedulerConfig.MAX_IMAGE_SEQ_LEN);
    double m = (maxShift - baseShift) / (maxSeqLen - baseSeqLen);
    double b = baseShift - m * baseSeqLen;
    return imageSeqLen * m + b;
  }

  /** The number of denoising steps (diffusers' {@code len(scheduler.timesteps)}). */
  int steps();

  /** The denoiser's timestep input at a step, {@code scheduler.timesteps[step]} (integral for int64 schedules). */
  float timestep(int step);

  /** The factor the initial unit Gaussian noise is multiplied by (float32); 1 for flow matching. */
  float initNoiseSigma();

  /**
   * The divisor of {@code scale_model_input}: the denoiser input is {@code sample / inputDivisor(step)}
   * in float32 (a division, as torch does; multiplying by the reciprocal differs in the last bit).
   * 1 where diffusers' {@code scale_model_input} is the identity.
   */
  float inputDivisor(int step);

  /** Writes {@code sample / inputDivisor(step)} into {@code out} (which may be {@code sample}). */
  default void scaleModelInput(float[] sample, int step, float[] out) {
    float d = inputDivisor(step);
    for (int i = 0; i < sample.length; i++) {
      out[i] = d == 1f ? sample[i] : sample[i] / d;
    }
  }

  /** Whether {@link #step} at this step needs a noise tensor (Euler Ancestral every step, LCM all but the last). */
  boolean drawsNoise(int step);

  /**
   * One denoising step: replaces {@code sample} by diffusers' {@code prev_sample}.
   *
   * @param modelOutput the denoiser's output for {@code scaleModelInput(sample)} at this step
   * @param step the step index, 0 to steps() - 1, called in order
   * @param sample the current latents, updated in place
   * @param noise unit Gaussian noise the size of sample when {@link #drawsNoise} says so, else null
   */
  default void step(float[] modelOutput, int step, float[] sample, float[] noise) {
    step(modelOutput, step, sample, noise, null);
  }

  /**
   * {@link #step(float[], int, float[], float[])}, also writing the step's clean-image estimate into
   * {@code denoised} when it is not null: diffusers' {@code pred_original_sample} (Euler, Euler
   * Ancestral, DDIM) or {@code denoised} (LCM, where it is the image pipelines decode). DPM-Solver
   * writes its data prediction, flow matching {@code sample - sigma * modelOutput}.
   */
  void step(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised);
}
