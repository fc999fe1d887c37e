package io.inkflow.inference.reward;

import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Scores of one image, each in [0, 1].
 *
 * @param aesthetic visual quality
 * @param alignment agreement with the prompt it was generated from
 * @param alignmentOriginal agreement with the user's original prompt, when one was given
 * @param textRendering OCR of the glyph text, when the image has glyph text
 * @param overall weighted mean, by the pack's weights, of aesthetic, alignment (the lower of the two
 *     alignments when both exist) and text-rendering accuracy (when present)
 */
public record RewardScores(double aesthetic, double alignment, OptionalDouble alignmentOriginal,
    Optional<TextRenderingScore> textRendering, double overall) {

  /** The alignment the overall score uses: the lower of the two when both exist. */
  public double combinedAlignment() {
    return alignmentOriginal.isPresent() ? Math.min(alignment, alignmentOriginal.getAsDouble()) : alignment;
  }
}
