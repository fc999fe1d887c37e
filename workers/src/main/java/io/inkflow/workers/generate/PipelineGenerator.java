package io.inkflow.workers.generate;

import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImagePipeline;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import java.nio.file.Path;
import java.util.List;

/** An {@link ImageGenerator} over a loaded pack ({@code mmdit-flow}, or a diffusers export); owns the pipeline. */
public final class PipelineGenerator implements ImageGenerator {
  private final ImagePipeline pipeline;
  private final PngEncoder encoder;

  public PipelineGenerator(ImagePipeline pipeline, PngEncoder encoder) {
    this.pipeline = pipeline;
    this.encoder = encoder;
  }

  /** Loads the pack at {@code packDir} with the given sessions' options and the standard PNG encoder. */
  public static PipelineGenerator open(Path packDir, SessionOptionsConfig options) {
    return open(packDir, options, PngEncoder.standard());
  }

  /** Loads the pack at {@code packDir} with the given sessions' options and PNG encoder. */
  public static PipelineGenerator open(Path packDir, SessionOptionsConfig options, PngEncoder encoder) {
    return new PipelineGenerator(ImagePipeline.open(packDir, options), encoder);
  }

  public ImagePipeline pipeline() {
    return pipeline;
  }

  @Override
  public String packId() {
    return pipeline.manifest().id();
  }

  @Override
  public String packVersion() {
    return pipeline.manifest().version();
  }

  @Override
  public List<RenderedImage> render(List<ImageRequest> batch) {
    return pipeline.render(batch);
  }

  @Override
  public GeneratedPng encodePng(RenderedImage image) {
    return pipeline.encodePng(image, encoder);
  }

  @Override
  public void close() {
    pipeline.close();
  }
}
