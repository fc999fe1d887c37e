package io.inkflow.streams.rewrite;

import io.inkflow.common.config.EnvConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

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
  /** The PE stage's limit variables (the rest of its limits are fixed, see {@link #defaults}). */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_PE_MAX_NUM_IMAGES", Type.INT, 8, ConfigDef.Range.between(1, 64), Importance.MEDIUM, "most variants per request")
      .define("INKFLOW_PE_MAX_PROMPT_CHARS", Type.INT, 2000, ConfigDef.Range.between(1, 100_000), Importance.MEDIUM,
          "longest prompt, in characters after clean-up")
      .define("INKFLOW_PE_INVISIBLE_CHARS", Type.STRING, "strip", ConfigDef.CaseInsensitiveValidString.in("strip", "refuse"),
          Importance.MEDIUM, "control, bidi and zero-width characters: strip them (recorded in sanitizations) or refuse the request")
      .define("INKFLOW_PE_BLOCKLIST", Type.LIST, List.of(), Importance.MEDIUM,
          "blocked terms, comma-separated; Latin terms match whole words, others anywhere")
      .define("INKFLOW_PE_BLOCKLIST_FILE", Type.STRING, null, Importance.MEDIUM, "a file of blocked terms, one per line, # comments");

  /** The PE stage's limits from the environment ({@link #DEFINITION}); the PE app and {@code scripts/submit --pack} read them alike. */
  public static PeLimits fromEnv(Map<String, String> env) {
    return from(new EnvConfig(DEFINITION, env));
  }

  /** The limits from a configuration that includes {@link #DEFINITION}. */
  public static PeLimits from(EnvConfig config) {
    PeLimits d = defaults();
    List<String> blocklist = new ArrayList<>(config.getList("INKFLOW_PE_BLOCKLIST"));
    String file = config.getString("INKFLOW_PE_BLOCKLIST_FILE");
    if (file != null) {
      try {
        Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream()
            .filter(l -> !l.isBlank() && !l.startsWith("#")).forEach(blocklist::add);
      } catch (IOException e) {
        throw new UncheckedIOException("INKFLOW_PE_BLOCKLIST_FILE: cannot read " + file, e);
      }
    }
    PromptText.Policy policy = PromptText.Policy.valueOf(config.getString("INKFLOW_PE_INVISIBLE_CHARS").toUpperCase(Locale.ROOT));
    return new PeLimits(d.maxIdChars(), config.getInt("INKFLOW_PE_MAX_PROMPT_CHARS"), d.maxNegativePromptChars(),
        d.maxRenderTexts(), d.maxRenderTextChars(), config.getInt("INKFLOW_PE_MAX_NUM_IMAGES"), d.maxTags(), d.maxTagChars(),
        d.minSide(), d.maxSide(), d.aspectSlack(), policy, blocklist);
  }

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
