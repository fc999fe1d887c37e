package io.inkflow.inference.diffusion;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One image to generate, exactly as its job says. Requests in one
 * {@link TextToImagePipeline#generate} call share the size (a bucket of the pack) and the step
 * count; prompts, guidance and seeds are per image.
 *
 * @param prompt the (rewritten) prompt
 * @param negativePrompt what to steer away from; null when none was given, which most families
 *     treat as the empty string (SDXL exports with {@code force_zeros_for_empty_prompt} use zero
 *     embeddings instead, while an explicit empty string is encoded)
 * @param glyphTexts literal strings the image should render, for the glyph encoder; may be empty
 * @param width pixels, a bucket width
 * @param height pixels, a bucket height
 * @param steps sampler steps
 * @param guidanceScale classifier-free guidance scale; 1 or less disables guidance
 * @param seed the image's noise seed: its pixels depend only on the seed, prompts and settings
 * @param metadata extra PNG text entries (e.g. job id), written after the generation parameters in
 *     key order (stored as an unmodifiable sorted map); keys must be PNG keywords and may not reuse a
 *     generation parameter's key
 */
public record ImageRequest(String prompt, String negativePrompt, List<String> glyphTexts, int width,
    int height, int steps, double guidanceScale, long seed, Map<String, String> metadata) {

  public ImageRequest {
    if (prompt == null) {
      throw new IllegalArgumentException("prompt is required");
    }
    glyphTexts = List.copyOf(glyphTexts == null ? List.of() : glyphTexts);
    if (!Double.isFinite(guidanceScale)) {
      throw new IllegalArgumentException("expected a finite guidance scale, found " + guidanceScale);
    }
    metadata = Collections.unmodifiableSortedMap(new TreeMap<>(metadata == null ? Map.of() : metadata));
    for (Map.Entry<String, String> entry : metadata.entrySet()) {
      GenerationParameters.checkMetadataKey(entry.getKey());
      if (entry.getValue() == null) {
        throw new IllegalArgumentException("expected a value for metadata key '" + entry.getKey() + "', found null");
      }
    }
  }

  /** The negative prompt, the empty string when none was given. */
  public String negativeText() {
    return negativePrompt == null ? "" : negativePrompt;
  }

  /** A request without negative prompt, glyph texts or metadata. */
  public static ImageRequest of(String prompt, int width, int height, int steps, double guidanceScale, long seed) {
    return new ImageRequest(prompt, null, List.of(), width, height, steps, guidanceScale, seed, Map.of());
  }

  public ImageRequest withNegativePrompt(String negative) {
    return new ImageRequest(prompt, negative, glyphTexts, width, height, steps, guidanceScale, seed, metadata);
  }

  public ImageRequest withGlyphTexts(List<String> texts) {
    return new ImageRequest(prompt, negativePrompt, texts, width, height, steps, guidanceScale, seed, metadata);
  }

  public ImageRequest withSeed(long newSeed) {
    return new ImageRequest(prompt, negativePrompt, glyphTexts, width, height, steps, guidanceScale, newSeed, metadata);
  }

  public ImageRequest withMetadata(Map<String, String> entries) {
    return new ImageRequest(prompt, negativePrompt, glyphTexts, width, height, steps, guidanceScale, seed, entries);
  }
}
