package io.inkflow.inference.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Schedules at step counts the golden data lacks, for every class and spacing on SD1.5's betas:
 * as many timesteps as steps, strictly decreasing (Karras: non-increasing) within the training
 * range, sigmas non-increasing down to 0, nothing NaN, and a short loop that stays finite; the step
 * counts diffusers mishandles are refused. Also: a batch is the images one by one.
 */
class SchedulerInvariantsTest {
  static final String SD15 = "{\"_class_name\": \"PNDMScheduler\", \"beta_end\": 0.012, \"beta_schedule\":"
      + " \"scaled_linear\", \"beta_start\": 0.00085, \"num_train_timesteps\": 1000, \"set_alpha_to_one\": false,"
      + " \"skip_prk_steps\": true, \"steps_offset\": 1, \"trained_betas\": null, \"clip_sample\": false}";
  private static final int[] STEPS = {1, 2, 3, 7, 10, 30, 50, 61, 100, 999, 1000};

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String cls : List.of(SchedulerConfig.EULER, SchedulerConfig.EULER_ANCESTRAL, SchedulerConfig.DDIM,
        SchedulerConfig.DPM_SOLVER_MULTISTEP, "DPM karras", SchedulerConfig.LCM)) {
      for (String spacing : List.of("linspace", "leading", "trailing")) {
        for (int steps : STEPS) {
          out.add(Arguments.of(cls, spacing, steps));
        }
      }
    }
    for (int steps : STEPS) {
      out.add(Arguments.of(SchedulerConfig.FLOW_MATCH_EULER, "sd3", steps));
      out.add(Arguments.of(SchedulerConfig.FLOW_MATCH_EULER, "flux", steps));
    }
    return out.stream();
  }

  static SchedulerConfig config(String cls, String spacing) {
    if (cls.equals(SchedulerConfig.FLOW_MATCH_EULER)) {
      return SchedulerConfig.parse(spacing.equals("flux")
          ? "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 3.0, \"use_dynamic_shifting\": true}"
          : "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"shift\": 3.0}");
    }
    boolean karras = cls.equals("DPM karras");
    String json = SD15.replace("}", ", \"timestep_spacing\": \"" + spacing + "\""
        + (karras ? ", \"use_karras_sigmas\": true" : "") + "}");
    return SchedulerConfig.parse(json).withClassName(karras ? SchedulerConfig.DPM_SOLVER_MULTISTEP : cls);
  }

  static Scheduler create(String cls, String spacing, int steps) {
    SchedulerConfig config = config(cls, spacing);
    return spacing.equals("flux") ? Scheduler.createFlow(config, steps, Scheduler.dynamicShiftMu(config, 4096))
        : Scheduler.create(config, steps);
  }

  /** The step counts at which diffusers' schedule leaves the trained range or repeats timesteps. */
  static boolean refused(String cls, String spacing, int steps) {
    if (cls.equals(SchedulerConfig.LCM)) {
      return steps > 50; // original_inference_steps
    }
    if (cls.equals("DPM karras") || cls.equals(SchedulerConfig.FLOW_MATCH_EULER)) {
      return false;
    }
    if (spacing.equals("trailing")) {
      return steps == 61; // np.arange gives 62 points, the last -1
    }
    if (spacing.equals("linspace")) {
      // DPM rounds np.linspace(0, 999, 1001) half to even: 499.5 and 500.5 both become 500
      return cls.equals(SchedulerConfig.DPM_SOLVER_MULTISTEP) && steps == 1000;
    }
    if (spacing.equals("leading")) {
      // steps_offset 1 reaches 1000; DPM's steps + 1 points collapse to one timestep at 1000 steps
      return cls.equals(SchedulerConfig.DPM_SOLVER_MULTISTEP) ? steps >= 999 : steps == 1000;
    }
    throw new IllegalStateException(spacing);
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void schedulesAreWellFormedOrRefused(String cls, String spacing, int steps) {
    if (refused(cls, spacing, steps)) {
      assertThatThrownBy(() -> create(cls, spacing, steps)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(String.valueOf(steps));
      return;
    }
    BaseScheduler s = (BaseScheduler) create(cls, spacing, steps);
    boolean flow = cls.equals(SchedulerConfig.FLOW_MATCH_EULER);
    boolean karras = cls.equals("DPM karras");
    assertThat(s.steps()).isEqualTo(steps);
    for (int i = 0; i < steps; i++) {
      float t = s.timestep(i);
      assertThat(t).as("t[%d]", i).isBetween(0f, flow ? 1000f : 999f);
      if (i > 0 && karras) {
        assertThat(t).as("t[%d]", i).isLessThanOrEqualTo(s.timestep(i - 1));
      } else if (i > 0) {
        assertThat(t).as("t[%d]", i).isLessThan(s.timestep(i - 1));
      }
      assertThat(s.inputDivisor(i)).isFinite().isGreaterThanOrEqualTo(1f);
    }
    float[] sigmas = s.sigmas();
    if (sigmas != null) {
      assertThat(sigmas).hasSize(steps + 1);
      assertThat(sigmas[steps]).isZero();
      for (int i = 1; i <= steps; i++) {
        assertThat(sigmas[i]).as("sigma[%d]", i).isLessThanOrEqualTo(sigmas[i - 1]);
      }
    }
    assertThat(s.initNoiseSigma()).isFinite().isPositive();
    if (steps <= 100) {
      for (float v : freeRun(s, 2)) {
        assertThat(v).isFinite();
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("classes")
  void nonPositiveAndTooManyStepsAreRefused(String cls) {
    for (int steps : new int[] {0, -1}) {
      assertThatThrownBy(() -> create(cls, "leading", steps)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(" inference steps, found " + steps);
    }
    if (!cls.equals(SchedulerConfig.FLOW_MATCH_EULER)) {
      assertThatThrownBy(() -> create(cls, "linspace", 1001)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("found 1001");
    }
  }

  static Stream<String> classes() {
    return Stream.of(SchedulerConfig.EULER, SchedulerConfig.EULER_ANCESTRAL, SchedulerConfig.DDIM,
        SchedulerConfig.DPM_SOLVER_MULTISTEP, SchedulerConfig.LCM, SchedulerConfig.FLOW_MATCH_EULER);
  }

  @Test
  void trailingSpacingAt61StepsNamesTheProblem() {
    assertThatThrownBy(() -> create(SchedulerConfig.DDIM, "trailing", 61))
        .hasMessage("DDIMScheduler: timestep_spacing 'trailing' with 61 steps gives 62 timesteps, timestep 61 is -1.0"
            + " after 15.0; expected 61 strictly decreasing timesteps in [0, 1000): diffusers' schedule breaks at"
            + " this step count, choose another");
  }

  @Test
  void stepsRunInOrderWithTheNoiseTheyNeed() {
    Scheduler s = create(SchedulerConfig.EULER_ANCESTRAL, "trailing", 4);
    float[] x = new float[8];
    assertThatThrownBy(() -> s.step(new float[8], 1, x, new float[8])).isInstanceOf(IllegalStateException.class)
        .hasMessage("expected step 0 of 4, found step 1");
    assertThatThrownBy(() -> s.step(new float[8], 0, x, null)).hasMessageContaining("expected noise of 8 floats");
    assertThatThrownBy(() -> s.step(new float[7], 0, x, new float[8])).hasMessageContaining("found 7");
    Scheduler ddim = create(SchedulerConfig.DDIM, "leading", 4);
    assertThatThrownBy(() -> ddim.step(new float[8], 0, x, new float[8]))
        .hasMessage("step 0 draws no noise, found a noise array");
  }

  /** A batch of two latents back to back steps exactly as each latent alone. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("classes")
  void aBatchIsItsImagesOneByOne(String cls) {
    String spacing = cls.equals(SchedulerConfig.FLOW_MATCH_EULER) ? "flux" : "trailing";
    float[] pair = freeRun(create(cls, spacing, 6), 2);
    float[] first = freeRun(create(cls, spacing, 6), 1);
    float[] firstInPair = new float[first.length];
    System.arraycopy(pair, 0, firstInPair, 0, first.length);
    assertThat(firstInPair).containsExactly(first);
  }

  /** The golden data's fake model with deterministic pseudo-noise that depends on the image, not the batch. */
  static float[] freeRun(Scheduler s, int images) {
    int size = 16;
    float[] x = new float[images * size];
    for (int i = 0; i < x.length; i++) {
      x[i] = noise(i % size, -1, i / size) * s.initNoiseSigma();
    }
    float[] input = new float[x.length];
    float[] out = new float[x.length];
    for (int k = 0; k < s.steps(); k++) {
      s.scaleModelInput(x, k, input);
      float c = (0.1f * s.timestep(k)) / 1000f;
      for (int i = 0; i < x.length; i++) {
        out[i] = 0.5f * input[i] + c;
      }
      float[] noise = null;
      if (s.drawsNoise(k)) {
        noise = new float[x.length];
        for (int i = 0; i < x.length; i++) {
          noise[i] = noise(i % size, k, i / size);
        }
      }
      s.step(out, k, x, noise);
    }
    return x;
  }

  private static float noise(int element, int step, int image) {
    return (float) Math.sin(element * 12.9898 + step * 78.233 + image * 37.719) * 1.5f;
  }
}
