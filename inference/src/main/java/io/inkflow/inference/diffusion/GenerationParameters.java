package io.inkflow.inference.diffusion;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.pack.PackManifest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The PNG text entries that record how an image was generated: everything needed to generate it
 * again, and nothing that varies between runs (no time, host or worker).
 */
public final class GenerationParameters {
  public static final String PROMPT = "prompt";
  public static final String NEGATIVE_PROMPT = "negative_prompt";
  public static final String GLYPH_TEXTS = "glyph_texts";
  public static final String WIDTH = "width";
  public static final String HEIGHT = "height";
  public static final String STEPS = "steps";
  public static final String GUIDANCE_SCALE = "guidance_scale";
  public static final String SEED = "seed";
  public static final String SCHEDULER = "scheduler";
  public static final String MODEL = "model";
  public static final String SAFETY_CHECKED = "safety_checked";

  /** Keys the pipeline writes itself. */
  public static final Set<String> RESERVED = Set.of(PROMPT, NEGATIVE_PROMPT, GLYPH_TEXTS, WIDTH, HEIGHT,
      STEPS, GUIDANCE_SCALE, SEED, SCHEDULER, MODEL, SAFETY_CHECKED);

  private static final ObjectMapper JSON = new ObjectMapper();

  private GenerationParameters() {}

  static void checkMetadataKey(String key) {
    PngEncoder.checkKeyword(key);
    if (RESERVED.contains(key)) {
      throw new IllegalArgumentException("metadata key '" + key + "' is reserved for generation parameters "
          + "(expected another key)");
    }
  }

  /** The generation parameters of a request followed by its own metadata, in a fixed order. */
  public static Map<String, String> textEntries(ImageRequest request, PackManifest pack) {
    return textEntries(request, pack, pack.scheduler().type() + " shift=" + pack.scheduler().shift());
  }

  /**
   * The generation parameters with a scheduler description of the pipeline's own (a diffusers
   * export's class and spacing); packs read from a diffusers export also record that no safety
   * checker ran.
   */
  public static Map<String, String> textEntries(ImageRequest request, PackManifest pack, String scheduler) {
    Map<String, String> text = new LinkedHashMap<>();
    text.put(PROMPT, request.prompt());
    text.put(NEGATIVE_PROMPT, request.negativeText());
    try {
      text.put(GLYPH_TEXTS, JSON.writeValueAsString(request.glyphTexts()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    text.put(WIDTH, Integer.toString(request.width()));
    text.put(HEIGHT, Integer.toString(request.height()));
    text.put(STEPS, Integer.toString(request.steps()));
    text.put(GUIDANCE_SCALE, Double.toString(request.guidanceScale()));
    text.put(SEED, Long.toString(request.seed()));
    text.put(SCHEDULER, scheduler);
    text.put(MODEL, pack.id() + " " + pack.version());
    if (pack.isDiffusers()) {
      text.put(SAFETY_CHECKED, "false");
    }
    text.putAll(request.metadata());
    return text;
  }
}
