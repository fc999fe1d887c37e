package io.inkflow.inference.reward;

import io.inkflow.inference.image.RgbImage;
import java.util.List;

/**
 * One image to score.
 *
 * @param image the decoded image, any size
 * @param prompt the prompt it was generated from (the rewritten one)
 * @param originalPrompt the user's prompt before rewriting, or {@code null} when the same or unknown
 * @param glyphTexts the literal texts it should show; empty skips text-rendering scoring
 */
public record RewardInput(RgbImage image, String prompt, String originalPrompt, List<String> glyphTexts) {

  public RewardInput {
    if (image == null || prompt == null) {
      throw new IllegalArgumentException("image and prompt are required");
    }
    glyphTexts = List.copyOf(glyphTexts == null ? List.of() : glyphTexts);
  }

  /** The text the OCR head should read: the non-blank glyph texts joined by spaces. */
  public String glyphTarget() {
    return String.join(" ", glyphTexts.stream().filter(t -> !t.isBlank()).toList());
  }
}
