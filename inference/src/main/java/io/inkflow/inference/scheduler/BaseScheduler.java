package io.inkflow.inference.scheduler;

/** What every scheduler here shares: its timesteps, its sigmas, the step order and the argument checks. */
abstract class BaseScheduler implements Scheduler {
  /** {@code scheduler.timesteps}, as float32 (int64 schedules hold integers). */
  final float[] timesteps;
  private int next;

  BaseScheduler(float[] timesteps) {
    this.timesteps = timesteps;
  }

  /** Refuses what diffusers refuses, or would silently mishandle, before a schedule is built. */
  static void checkSteps(String className, int steps, int max) {
    if (steps <= 0 || steps > max) {
      String range = max == Integer.MAX_VALUE ? "at least 1" : "1 to " + max;
      throw new IllegalArgumentException(className + ": expected " + range + " inference steps, found " + steps);
    }
  }

  /**
   * Refuses a schedule diffusers would run badly: a timestep outside the trained range (trailing
   * spacing at 61 steps ends at -1, leading spacing with an offset at 1000 steps reaches 1000), or,
   * where the timesteps place the sigmas, one that is not strictly decreasing.
   */
  static void checkTimesteps(String className, String spacing, int steps, float[] timesteps, int trainSteps,
      boolean strictlyDecreasing) {
    for (int i = 0; i < timesteps.length; i++) {
      boolean inRange = timesteps[i] >= 0 && timesteps[i] < trainSteps;
      if (!inRange || (strictlyDecreasing && i > 0 && !(timesteps[i] < timesteps[i - 1]))) {
        throw new IllegalArgumentException(className + ": timestep_spacing '" + spacing + "' with " + steps
            + " steps gives " + timesteps.length + " timesteps, timestep " + i + " is " + timesteps[i]
            + (i > 0 ? " after " + timesteps[i - 1] : "") + "; expected " + steps + " strictly decreasing timesteps"
            + " in [0, " + trainSteps + "): diffusers' schedule breaks at this step count, choose another");
      }
    }
  }

  /** The schedule's noise levels (with the final one appended), or null where the class has none. */
  abstract float[] sigmas();

  @Override
  public int steps() {
    return timesteps.length;
  }

  @Override
  public float timestep(int step) {
    return timesteps[index(step)];
  }

  @Override
  public float inputDivisor(int step) {
    index(step);
    return 1f;
  }

  @Override
  public boolean drawsNoise(int step) {
    index(step);
    return false;
  }

  @Override
  public final void step(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised) {
    if (step != next) {
      throw new IllegalStateException("expected step " + next + " of " + steps() + ", found step " + step);
    }
    check("model output", modelOutput, sample.length);
    if (drawsNoise(step)) {
      check("noise", noise, sample.length);
    } else if (noise != null) {
      throw new IllegalArgumentException("step " + step + " draws no noise, found a noise array");
    }
    if (denoised != null) {
      check("denoised", denoised, sample.length);
    }
    update(modelOutput, step, sample, noise, denoised);
    next++;
  }

  /** The step itself, arguments checked. */
  abstract void update(float[] modelOutput, int step, float[] sample, float[] noise, float[] denoised);

  int index(int step) {
    if (step < 0 || step >= timesteps.length) {
      throw new IndexOutOfBoundsException("expected a step in [0, " + timesteps.length + "), found " + step);
    }
    return step;
  }

  private static void check(String what, float[] array, int length) {
    if (array == null || array.length != length) {
      throw new IllegalArgumentException("expected " + what + " of " + length + " floats (the sample's length), found "
          + (array == null ? "null" : array.length));
    }
  }
}
