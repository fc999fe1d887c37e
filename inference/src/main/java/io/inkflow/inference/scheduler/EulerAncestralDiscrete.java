package io.inkflow.inference.scheduler;

/**
 * diffusers' {@code EulerAncestralDiscreteScheduler}
 * (schedulers/scheduling_euler_ancestral_discrete.py): an Euler step down to {@code sigma_down},
 * then fresh noise of scale {@code sigma_up}, so that the step lands at the next sigma.
 *
 * <p>Every step draws noise, the last one too (there {@code sigma_up} is 0 but diffusers still
 * draws, which advances the generator); the caller supplies it.
 */
final class EulerAncestralDiscrete extends BaseScheduler {
  private final float[] sigmas;
  private final String prediction;
  private float[] work;
  private final float initNoiseSigma;

  EulerAncestralDiscrete(SchedulerConfig config, int steps) {
    this(config, EulerDiscrete.schedule(config, steps));
  }

  private EulerAncestralDiscrete(SchedulerConfig config, float[][] schedule) {
    super(schedule[0]);
    this.sigmas = schedule[1];
    this.prediction = config.predictionType();
    this.initNoiseSigma = EulerDiscrete.initNoiseSigma(sigmas, config.timestepSpacing());
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
    return EulerDiscrete.sigmaInputDivisor(sigmas[index(step)]);
  }

  @Override
  public boolean drawsNoise(int step) {
    index(step);
    return true;
  }

  @Override
  void update(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised) {
    float from = sigmas[step];
    float to = sigmas[step + 1];
    float from2 = from * from;
    float to2 = to * to;
    float up = (float) Math.sqrt(to2 * (from2 - to2) / from2);
    float down = (float) Math.sqrt(to2 - up * up);
    float dt = down - from;
    float[] x0 = denoised != null ? denoised : (work = EulerDiscrete.scratch(work, sample.length));
    EulerDiscrete.predictOriginal(prediction, from, sample, modelOutput, x0);
    for (int i = 0; i < sample.length; i++) {
      float prev = sample[i] + ((sample[i] - x0[i]) / from) * dt;
      sample[i] = prev + noise[i] * up;
    }
  }
}
