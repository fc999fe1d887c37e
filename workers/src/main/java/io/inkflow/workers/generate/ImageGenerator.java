package io.inkflow.workers.generate;

import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import java.util.List;

/**
 * What the worker needs from a model: render a batch (the accelerator's part) and PNG-encode one
 * image (the CPU's part, run on another thread). {@link PipelineGenerator} wraps a loaded pack;
 * tests and the feed benchmark hand in their own.
 */
public interface ImageGenerator extends AutoCloseable {
  /** Id of the loaded pack; jobs naming another pack are refused as PACK_MISMATCH. */
  String packId();

  /** Version of the loaded pack. */
  String packVersion();

  /**
   * Renders a batch of requests that share size and step count.
   *
   * @throws IllegalArgumentException when a request is outside the pack's rules (not retried)
   * @throws RuntimeException when the model fails (the worker splits the batch and retries)
   */
  List<RenderedImage> render(List<ImageRequest> batch);

  /** PNG-encodes one rendered image; thread-safe. */
  GeneratedPng encodePng(RenderedImage image);

  @Override
  default void close() {}
}
