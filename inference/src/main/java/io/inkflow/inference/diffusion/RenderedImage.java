package io.inkflow.inference.diffusion;

import io.inkflow.inference.image.RgbImage;

/**
 * A generated image before PNG encoding: what {@link TextToImagePipeline#render} returns so a
 * caller can encode on another thread while the next batch runs.
 *
 * @param request what was asked
 * @param image the pixels
 * @param timings its batch's stage times (png zero)
 */
public record RenderedImage(ImageRequest request, RgbImage image, StageTimings timings) {}
