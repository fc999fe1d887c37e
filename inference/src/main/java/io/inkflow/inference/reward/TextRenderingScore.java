package io.inkflow.inference.reward;

/**
 * How well an image renders its glyph text, by Seedream's metrics over Unicode code points.
 *
 * @param target the expected text (glyph texts joined by spaces)
 * @param recognized what the OCR head read
 * @param accuracy R_a = max(0, 1 - edit distance / target length)
 * @param hitRate R_h = longest common subsequence / target length (correct characters in order)
 */
public record TextRenderingScore(String target, String recognized, double accuracy, double hitRate) {}
