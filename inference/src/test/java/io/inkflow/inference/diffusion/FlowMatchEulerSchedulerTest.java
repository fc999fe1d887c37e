package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Sampler maths on cases small enough to work out by hand. */
class FlowMatchEulerSchedulerTest {

  @Test
  void sigmasAreLinearThenShifted() {
    // no shift: 1, 3/4, 1/2, 1/4, 0
    assertThat(new FlowMatchEulerScheduler(1.0).sigmas(4)).containsExactly(1.0, 0.75, 0.5, 0.25, 0.0);
    // shift 3: s' = 3s / (1 + 2s): 1 -> 1, 1/2 -> 1.5/2 = 0.75, 0 -> 0
    assertThat(new FlowMatchEulerScheduler(3.0).sigmas(2)).containsExactly(1.0, 0.75, 0.0);
    // shift 3 over 4 steps: 0.75 -> 2.25/2.5 = 0.9, 0.5 -> 0.75, 0.25 -> 0.75/1.5 = 0.5
    assertThat(new FlowMatchEulerScheduler(3.0).sigmas(4))
        .containsExactly(new double[] {1.0, 0.9, 0.75, 0.5, 0.0}, within(1e-15));
  }

  @Test
  void timestepIsSigmaTimesAThousand() {
    assertThat(FlowMatchEulerScheduler.timestep(0.75)).isEqualTo(750f);
    assertThat(FlowMatchEulerScheduler.timestep(1.0)).isEqualTo(1000f);
  }

  @Test
  void eulerStepMovesAlongTheVelocity() {
    float[] x = {1f, -2f};
    // sigma 1 -> 0.75: dt = -0.25; x + dt * v = (1 - 1, -2 - 0.125)
    FlowMatchEulerScheduler.step(x, new float[] {4f, 0.5f}, 1.0, 0.75);
    assertThat(x).containsExactly(0f, -2.125f);
  }

  @Test
  void guidanceExtrapolatesFromUncondTowardsCond() {
    float[] v = {3f, 1f};   // cond 3, uncond 1
    float[] out = new float[1];
    Guidance.combine(v, 0, 1, 1, 4.5f, out, 0);
    assertThat(out[0]).isEqualTo(10f);  // 1 + 4.5 * (3 - 1)
    Guidance.combine(v, 0, 1, 1, 1.0f, out, 0);
    assertThat(out[0]).isEqualTo(3f);   // no guidance: cond as is
    Guidance.combine(v, 0, 1, 1, 0.5f, out, 0);
    assertThat(out[0]).isEqualTo(3f);
  }

  @Test
  void theSamplerCallsTheModelOncePerStepOverAllRowsAndGuidesPerImage() throws Exception {
    // Two images of two values each; image 0 guided with g = 2, image 1 unguided (g = 1).
    // Fake model: cond rows v = x, uncond rows v = -x, so guided v = -x + g (x + x) = 3x for g = 2.
    // Shift 3, 2 steps: sigmas 1, 0.75, 0 -> dt = -0.25, then -0.75.
    //   image 0: x0 = (4, -8): x1 = x0 (1 - 0.25 * 3) = (1, -2); x2 = x1 (1 - 0.75 * 3) = (-1.25, 2.5)
    //   image 1: x0 = (1, 2):  x1 = x0 (1 - 0.25) = (0.75, 1.5); x2 = x1 (1 - 0.75) = (0.1875, 0.375)
    float[] x = {4f, -8f, 1f, 2f};
    List<float[]> inputs = new ArrayList<>();
    List<float[]> timesteps = new ArrayList<>();
    Denoiser.Batch fake = new Denoiser.Batch() {
      @Override
      public int rows() {
        return 4;
      }

      @Override
      public void velocity(float[] latents, float[] t, float[] out) {
        inputs.add(latents.clone());
        timesteps.add(t.clone());
        for (int i = 0; i < latents.length; i++) {
          out[i] = i < 4 ? latents[i] : -latents[i];
        }
      }

      @Override
      public void close() {}
    };
    double[] sigmas = new FlowMatchEulerScheduler(3.0).sigmas(2);
    var times = EulerSampler.sample(fake, x, 2, 2, sigmas, new float[] {2f, 1f});

    assertThat(x).containsExactly(-1.25f, 2.5f, 0.1875f, 0.375f);
    assertThat(times).hasSize(2);
    assertThat(inputs).hasSize(2);
    // rows: cond image 0, cond image 1, uncond image 0, uncond image 1
    assertThat(inputs.get(0)).containsExactly(4f, -8f, 1f, 2f, 4f, -8f, 1f, 2f);
    assertThat(inputs.get(1)).containsExactly(1f, -2f, 0.75f, 1.5f, 1f, -2f, 0.75f, 1.5f);
    assertThat(timesteps.get(0)).containsExactly(1000f, 1000f, 1000f, 1000f);
    assertThat(timesteps.get(1)).containsExactly(750f, 750f, 750f, 750f);
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new FlowMatchEulerScheduler(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FlowMatchEulerScheduler(3).sigmas(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
