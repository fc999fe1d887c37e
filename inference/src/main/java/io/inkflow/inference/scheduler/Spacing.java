package io.inkflow.inference.scheduler;

/**
 * diffusers' {@code timestep_spacing} rules, for the classes that keep float timesteps (Euler) and
 * those that keep int64 ones (DDIM, DPM-Solver). Results are descending.
 */
final class Spacing {
  private Spacing() {}

  /** Euler's and Euler Ancestral's float32 timesteps. */
  static float[] eulerTimesteps(String spacing, int trainSteps, int steps, int offset) {
    float[] out;
    switch (spacing) {
      case "linspace" -> {
        double[] up = Numerics.linspace(0, trainSteps - 1, steps, true);
        out = new float[steps];
        for (int i = 0; i < steps; i++) {
          out[i] = (float) up[steps - 1 - i];
        }
      }
      case "leading" -> {
        int ratio = trainSteps / steps;
        out = new float[steps];
        for (int i = 0; i < steps; i++) {
          out[i] = (float) ((steps - 1 - i) * ratio) + offset;
        }
      }
      default -> { // trailing
        double[] down = Numerics.arangeDown(trainSteps, (double) trainSteps / steps);
        out = new float[down.length];
        for (int i = 0; i < down.length; i++) {
          out[i] = (float) Math.rint(down[i]) - 1f;
        }
      }
    }
    return out;
  }

  /** DDIM's int64 timesteps. */
  static long[] ddimTimesteps(String spacing, int trainSteps, int steps, int offset) {
    long[] out;
    switch (spacing) {
      case "linspace" -> {
        double[] up = Numerics.linspace(0, trainSteps - 1, steps, true);
        out = new long[steps];
        for (int i = 0; i < steps; i++) {
          out[i] = (long) Math.rint(up[steps - 1 - i]);
        }
      }
      case "leading" -> {
        int ratio = trainSteps / steps;
        out = new long[steps];
        for (int i = 0; i < steps; i++) {
          out[i] = (long) (steps - 1 - i) * ratio + offset;
        }
      }
      default -> out = trailing(trainSteps, trainSteps, steps);
    }
    return out;
  }

  /**
   * DPM-Solver's int64 timesteps: its linspace and leading rules place {@code steps + 1} points
   * and drop the last, up to {@code last} (the training steps less any clipped by
   * {@code lambda_min_clipped}).
   */
  static long[] dpmTimesteps(String spacing, int trainSteps, int last, int steps, int offset) {
    long[] out = new long[steps];
    switch (spacing) {
      case "linspace" -> {
        double[] up = Numerics.linspace(0, last - 1, steps + 1, true);
        for (int i = 0; i < steps; i++) {
          out[i] = (long) Math.rint(up[steps - i]);
        }
      }
      case "leading" -> {
        int ratio = last / (steps + 1);
        for (int i = 0; i < steps; i++) {
          out[i] = (long) (steps - i) * ratio + offset;
        }
      }
      default -> out = trailing(last, trainSteps, steps);
    }
    return out;
  }

  private static long[] trailing(int from, int trainSteps, int steps) {
    double[] down = Numerics.arangeDown(from, (double) trainSteps / steps);
    long[] out = new long[down.length];
    for (int i = 0; i < down.length; i++) {
      out[i] = (long) Math.rint(down[i]) - 1;
    }
    return out;
  }

  static float[] toFloats(long[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
