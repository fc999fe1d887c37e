package io.inkflow.inference.diffusion;

import ai.onnxruntime.OrtException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sampling loop: per step, one model call over every row of the batch (cond rows for all
 * images, then uncond rows when any image uses guidance), per-image guidance, and an Euler step.
 */
final class EulerSampler {
  private EulerSampler() {}

  /**
   * Samples in place.
   *
   * @param model the bound model; its rows are {@code images} or {@code 2 * images}
   * @param x initial noise [images, C, h, w], overwritten with the final latents
   * @param perImage C * h * w
   * @param sigmas steps + 1 noise levels
   * @param guidance per-image guidance scales
   * @return the wall time of each step
   */
  static List<Duration> sample(Denoiser.Batch model, float[] x, int images, int perImage, double[] sigmas,
      float[] guidance) throws OrtException {
    int rows = model.rows();
    boolean guided = rows == 2 * images;
    if (!guided && rows != images) {
      throw new IllegalArgumentException("expected " + images + " or " + 2 * images + " rows, found " + rows);
    }
    float[] modelInput = new float[rows * perImage];
    float[] velocity = new float[rows * perImage];
    float[] guidedVelocity = new float[images * perImage];
    float[] timesteps = new float[rows];
    int steps = sigmas.length - 1;
    List<Duration> times = new ArrayList<>(steps);
    for (int s = 0; s < steps; s++) {
      long start = System.nanoTime();
      Arrays.fill(timesteps, FlowMatchEulerScheduler.timestep(sigmas[s]));
      System.arraycopy(x, 0, modelInput, 0, x.length);
      if (guided) {
        System.arraycopy(x, 0, modelInput, x.length, x.length);
      }
      model.velocity(modelInput, timesteps, velocity);
      for (int i = 0; i < images; i++) {
        float scale = guided ? guidance[i] : 1f;
        Guidance.combine(velocity, i * perImage, (images + i) * perImage, perImage, scale, guidedVelocity,
            i * perImage);
      }
      FlowMatchEulerScheduler.step(x, guidedVelocity, sigmas[s], sigmas[s + 1]);
      times.add(Duration.ofNanos(System.nanoTime() - start));
    }
    return times;
  }
}
