package io.inkflow.streams.rewrite;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What the PE stage accepts, beyond what the model pack dictates (sizes, steps and guidance come
 * from the pack's manifest).
 *
 * @param maxIdChars longest requestId or batchId
 * @param maxPromptChars longest prompt (after clean-up)
 * @param maxNegativePromptChars longest negative prompt
 * @param maxRenderTexts most literal texts to draw
 * @param maxRenderTextChars longest literal text
 * @param maxNumImages most variants per request
 * @param maxTags most tags per request
 * @param maxTagChars longest tag key or value
 * @param minSide smallest requested side in pixels (lowered to the pack's smallest bucket side when that is smaller)
 * @param maxSide largest requested side in pixels
 * @param aspectSlack how far (as a factor) a requested aspect ratio may go beyond the pack's most
 *     extreme bucket before it is refused rather than snapped
 * @param invisibleChars what to do with control, bidi and zero-width characters
 * @param blocklist lower-case terms a prompt must not contain
 */
public record PeLimits(
    int maxIdChars,
    int maxPromptChars,
    int maxNegativePromptChars,
    int maxRenderTexts,
    int maxRenderTextChars,
    int maxNumImages,
    int maxTags,
    int maxTagChars,
    int minSide,
    int maxSide,
    double aspectSlack,
    PromptText.Policy invisibleChars,
    List<String> blocklist) {

  public PeLimits {
    positive(maxIdChars, "maxIdChars");
    positive(maxPromptChars, "maxPromptChars");
    positive(maxNegativePromptChars, "maxNegativePromptChars");
    positive(maxRenderTexts, "maxRenderTexts");
    positive(maxRenderTextChars, "maxRenderTextChars");
    positive(maxNumImages, "maxNumImages");
    positive(maxTags, "maxTags");
    positive(maxTagChars, "maxTagChars");
    positive(minSide, "minSide");
    if (maxSide < minSide) {
      throw new IllegalArgumentException("maxSide must be >= minSide, found " + maxSide + " < " + minSide);
    }
    if (!(aspectSlack >= 1.0)) {
      throw new IllegalArgumentException("aspectSlack must be >= 1, found " + aspectSlack);
    }
    Objects.requireNonNull(invisibleChars, "invisibleChars");
    blocklist = blocklist.stream().map(t -> t.strip().toLowerCase(Locale.ROOT)).filter(t -> !t.isEmpty()).toList();
  }

  private static void positive(int v, String name) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be >= 1, found " + v);
    }
  }

  /** Defaults suited to catalogue generation. */
  public static PeLimits defaults() {
    return new PeLimits(128, 2000, 1000, 4, 64, 8, 32, 256, 64, 2048, 1.5, PromptText.Policy.STRIP, List.of());
  }

  public PeLimits withBlocklist(List<String> terms) {
    return new PeLimits(maxIdChars, maxPromptChars, maxNegativePromptChars, maxRenderTexts, maxRenderTextChars,
        maxNumImages, maxTags, maxTagChars, minSide, maxSide, aspectSlack, invisibleChars, terms);
  }

  public PeLimits withInvisibleChars(PromptText.Policy policy) {
    return new PeLimits(maxIdChars, maxPromptChars, maxNegativePromptChars, maxRenderTexts, maxRenderTextChars,
        maxNumImages, maxTags, maxTagChars, minSide, maxSide, aspectSlack, policy, blocklist);
  }
}
