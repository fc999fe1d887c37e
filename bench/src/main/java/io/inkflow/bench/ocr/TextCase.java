package io.inkflow.bench.ocr;

import io.inkflow.inference.image.RgbImage;

/**
 * One case of the rendered-text set: what was drawn and the pixels.
 *
 * @param spec the text, face, size, colours and angle
 * @param image the rendered line
 */
public record TextCase(TextSpec spec, RgbImage image) {}
