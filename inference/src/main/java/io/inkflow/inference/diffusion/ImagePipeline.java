package io.inkflow.inference.diffusion;

import io.inkflow.inference.diffusers.ExportPipeline;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A loaded text-to-image model: prompts in, images out. {@link TextToImagePipeline} runs an {@code
 * mmdit-flow} pack, {@link ExportPipeline} a diffusers export ({@code sd}, {@code sdxl}, {@code sd3}, {@code flux}).
 * Implementations are thread-safe, own their sessions, and refuse renders after {@link #close}.
 */
public interface ImagePipeline extends AutoCloseable {

  /** Loads the pack in {@code packDir}: a folder with {@code pack.json}, or a diffusers export with {@code model_index.json}. */
  static ImagePipeline open(Path packDir, SessionOptionsConfig config) {
    PackManifest pack = PackManifest.read(packDir);
    return pack.isDiffusers() ? ExportPipeline.open(pack, config) : TextToImagePipeline.open(packDir, config);
  }

  /** The pack's manifest. */
  PackManifest manifest();

  /** The provider the sessions run on (CPU when CUDA was asked for but is unavailable). */
  ExecutionProvider executionProvider();

  /**
   * Generates a batch of images without encoding them.
   *
   * @param batch requests sharing one bucket of the pack and one step count
   * @throws IllegalArgumentException when the batch mixes sizes or step counts, or a value is outside
   *     the pack's ranges
   * @throws io.inkflow.inference.runtime.InferenceException when ONNX Runtime fails
   */
  List<RenderedImage> render(List<ImageRequest> batch);

  /** PNG-encodes a rendered image with its generation parameters. Thread-safe. */
  GeneratedPng encodePng(RenderedImage image, PngEncoder encoder);

  /** PNG-encodes a rendered image with the standard encoder. */
  default GeneratedPng encodePng(RenderedImage image) {
    return encodePng(image, PngEncoder.standard());
  }

  /** Generates and PNG-encodes a batch; see {@link #render}. */
  default List<GeneratedPng> generate(List<ImageRequest> batch) {
    List<RenderedImage> rendered = render(batch);
    List<GeneratedPng> out = new ArrayList<>(rendered.size());
    for (RenderedImage image : rendered) {
      out.add(encodePng(image));
    }
    return out;
  }

  /** Closes every session once the renders in progress have ended. Idempotent. */
  @Override
  void close();

  /**
   * Checks a batch against a pack: one bucket of the pack and one step count for every request, steps
   * and guidance within the pack's ranges.
   *
   * @return the batch's bucket
   * @throws IllegalArgumentException saying what was expected and what was found
   */
  static Bucket validate(PackManifest pack, List<ImageRequest> batch) {
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("expected at least one request, found an empty batch");
    }
    ImageRequest first = batch.get(0);
    Bucket bucket = pack.bucket(first.width(), first.height()).orElseThrow(() -> new IllegalArgumentException(
        "expected a bucket of pack " + pack.id() + " " + pack.buckets() + ", found " + first.width() + "x"
            + first.height()));
    int minSteps = pack.scheduler().minSteps();
    int maxSteps = pack.scheduler().maxSteps();
    double maxGuidance = pack.scheduler().maxGuidance();
    for (ImageRequest r : batch) {
      if (r.width() != first.width() || r.height() != first.height() || r.steps() != first.steps()) {
        throw new IllegalArgumentException("expected every request of a batch to share size and steps ("
            + first.width() + "x" + first.height() + ", " + first.steps() + " steps), found " + r.width() + "x"
            + r.height() + ", " + r.steps() + " steps");
      }
      if (r.steps() < minSteps || r.steps() > maxSteps) {
        throw new IllegalArgumentException("expected steps in [" + minSteps + ", " + maxSteps + "] for pack "
            + pack.id() + ", found " + r.steps());
      }
      if (r.guidanceScale() < 0 || r.guidanceScale() > maxGuidance) {
        throw new IllegalArgumentException("expected guidance in [0, " + maxGuidance + "] for pack " + pack.id()
            + ", found " + r.guidanceScale());
      }
    }
    return bucket;
  }
}
