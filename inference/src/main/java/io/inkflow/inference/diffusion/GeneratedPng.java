package io.inkflow.inference.diffusion;

/**
 * A generated, PNG-encoded image.
 *
 * @param request what was asked
 * @param png the PNG file, generation parameters in iTXt chunks
 * @param sha256 SHA-256 of {@code png}, lowercase hex
 * @param width pixels delivered
 * @param height pixels delivered
 * @param timings stage times, PNG encoding included
 */
public record GeneratedPng(ImageRequest request, byte[] png, String sha256, int width, int height,
    StageTimings timings) {}
