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
    for (int i = 0; i < sample.length; i++) {
      float x0 = EulerDiscrete.predictOriginal(prediction, from, sample[i], modelOutput[i]);
      float derivative = (sample[i] - x0) / from;
      if (denoised != null) {
        denoised[i] = x0;
      }
      float prev = sample[i] + derivative * dt;
      sample[i] = prev + noise[i] * up;
    }
  }
}
