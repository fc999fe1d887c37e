package io.inkflow.inference.diffusion;

import java.time.Duration;
import java.util.List;

/**
 * Wall time of each stage of the batch an image was generated in. Encode, steps and decode are
 * batch-level (shared by the batch's images); png is the image's own encoding.
 *
 * @param batchSize images in the batch
 * @param encode text + glyph encoding of all rows
 * @param steps each sampler step (one transformer call plus guidance and Euler update)
 * @param decode VAE decode of the batch, to RGB
 * @param png this image's PNG encoding; zero until it is encoded
 */
public record StageTimings(int batchSize, Duration encode, List<Duration> steps, Duration decode, Duration png) {

  public StageTimings {
    steps = List.copyOf(steps);
  }

  /** Sum of the step times. */
  public Duration sampling() {
    return steps.stream().reduce(Duration.ZERO, Duration::plus);
  }

  /** encode + sampling + decode: the batch's time in the model. */
  public Duration inference() {
    return encode.plus(sampling()).plus(decode);
  }

  public StageTimings withPng(Duration pngTime) {
    return new StageTimings(batchSize, encode, steps, decode, pngTime);
  }
}
