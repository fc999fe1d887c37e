package io.inkflow.inference.pack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What an exported model folder does not carry and inkflow needs: the optional {@code inkflow.json}
 * beside a diffusers export's {@code model_index.json}. Every field is optional; an absent one takes
 * the family's default (see {@code docs/models.md}).
 *
 * @param id the pack id, instead of the family plus a digest of the export's configs
 * @param version the pack version, instead of the export's {@code _diffusers_version}
 * @param description free text
 * @param schedulerClass the diffusers scheduler class to run instead of the export's (its betas and
 *     spacing are kept, as diffusers' {@code from_config} does); empty to keep the export's
 * @param schedulerOverrides scheduler config keys to set on top of the export's (e.g.
 *     {@code timestep_spacing}), as JSON text of an object; empty when none
 * @param steps step default and range, when given
 * @param guidance guidance default and range, when given
 * @param buckets sizes, when given
 * @param languages the prompt languages the text encoder understands ({@code en}, {@code zh})
 * @param otherLanguages what the PE stream does with a prompt in another language
 * @param glyphText what happens to text the user wants drawn, for a family without a glyph encoder
 * @param promptRewrite what the PE stream may do to prompts
 * @param clipSkip CLIP layers to skip from the end (diffusers' {@code clip_skip}); 0 for none
 * @param t5MaxLength T5 tokens per prompt (diffusers' {@code max_sequence_length}); 0 for the family's default
 */
public record PackOptions(Optional<String> id, Optional<String> version, String description,
    Optional<String> schedulerClass, String schedulerOverrides, Optional<Range> steps, Optional<GuidanceRange> guidance,
    List<Bucket> buckets, List<String> languages, LanguagePolicy otherLanguages, GlyphTextPolicy glyphText,
    RewritePolicy promptRewrite, int clipSkip, int t5MaxLength) {

  /** The file name beside {@code model_index.json}. */
  public static final String FILE_NAME = "inkflow.json";

  public PackOptions {
    buckets = List.copyOf(buckets);
    languages = List.copyOf(languages);
  }

  /** A step range with its default. */
  public record Range(int defaultValue, int min, int max) {}

  /** A guidance range with its default. */
  public record GuidanceRange(double defaultValue, double min, double max) {}

  /** What the PE stream does with a prompt in a language the pack does not declare. */
  public enum LanguagePolicy {
    /** Refuse it: {@code LANGUAGE_UNSUPPORTED}. */
    REFUSE,
    /** Pass it, with a warning recorded on the job. */
    WARN;

    static LanguagePolicy parse(String text) {
      switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "refuse": return REFUSE;
        case "warn": return WARN;
        default: throw new IllegalArgumentException("expected refuse or warn, found '" + text + "'");
      }
    }
  }

  /** What happens to the text a user wants drawn when the pack has no glyph encoder. */
  public enum GlyphTextPolicy {
    /** Appended to the prompt in quotation marks, as users of these models write it. */
    QUOTE,
    /** Dropped, recorded on the job. */
    DROP;

    static GlyphTextPolicy parse(String text) {
      switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "quote": return QUOTE;
        case "drop": return DROP;
        default: throw new IllegalArgumentException("expected quote or drop, found '" + text + "'");
      }
    }
  }

  /** The options of a folder without {@code inkflow.json}. */
  public static PackOptions defaults() {
    return new PackOptions(Optional.empty(), Optional.empty(), "", Optional.empty(), "", Optional.empty(),
        Optional.empty(), List.of(), List.of("en"), LanguagePolicy.REFUSE, GlyphTextPolicy.QUOTE,
        new RewritePolicy(RewritePolicy.Mode.ON, List.of()), 0, 0);
  }

  /** Reads {@code inkflow.json} from an export folder, or the defaults when there is none. */
  public static PackOptions read(Path exportDir) {
    Path file = exportDir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      return defaults();
    }
    ManifestJson json = ManifestJson.readFile(file);
    int format = json.integer("format", ManifestJson.FORMAT);
    if (format != ManifestJson.FORMAT) {
      throw json.error("format", "expected " + ManifestJson.FORMAT + ", found " + format);
    }
    Optional<String> schedulerClass = Optional.empty();
    String overrides = "";
    Optional<Range> steps = Optional.empty();
    if (json.has("scheduler")) {
      ManifestJson s = json.object("scheduler");
      schedulerClass = s.has("className") ? Optional.of(s.text("className")) : Optional.empty();
      if (s.has("config")) {
        overrides = s.object("config").node().toString();
      }
      if (s.has("defaultSteps") || s.has("minSteps") || s.has("maxSteps")) {
        int min = s.positiveInt("minSteps");
        int max = s.positiveInt("maxSteps");
        int def = s.positiveInt("defaultSteps");
        if (min > max || def < min || def > max) {
          throw s.error("defaultSteps", "expected minSteps <= defaultSteps <= maxSteps, found "
              + min + " <= " + def + " <= " + max);
        }
        steps = Optional.of(new Range(def, min, max));
      }
    }
    Optional<GuidanceRange> guidance = Optional.empty();
    if (json.has("guidance")) {
      ManifestJson g = json.object("guidance");
      double min = g.number("min");
      double max = g.number("max");
      double def = g.number("default");
      if (!(min >= 0 && min <= def && def <= max) || Double.isInfinite(max)) {
        throw g.error("default", "expected 0 <= min <= default <= max, finite, found " + min + ", " + def + ", " + max);
      }
      guidance = Optional.of(new GuidanceRange(def, min, max));
    }
    List<Bucket> buckets = new ArrayList<>();
    if (json.has("buckets")) {
      for (ManifestJson b : json.objects("buckets")) {
        buckets.add(new Bucket(b.positiveInt("width"), b.positiveInt("height")));
      }
      if (buckets.isEmpty()) {
        throw json.error("buckets", "expected at least one bucket when the field is given, found none");
      }
    }
    List<String> languages = json.has("languages") ? json.texts("languages") : List.of("en");
    List<String> normalised = new ArrayList<>();
    for (String l : languages) {
      String code = l.trim().toLowerCase(Locale.ROOT);
      if (!code.equals("en") && !code.equals("zh")) {
        throw json.error("languages", "expected codes among [en, zh], found '" + l + "'");
      }
      normalised.add(code);
    }
    if (normalised.isEmpty()) {
      throw json.error("languages", "expected at least one language, found none");
    }
    LanguagePolicy other;
    GlyphTextPolicy glyph;
    try {
      other = LanguagePolicy.parse(json.text("otherLanguages", "refuse"));
    } catch (IllegalArgumentException e) {
      throw json.error("otherLanguages", e.getMessage());
    }
    try {
      glyph = GlyphTextPolicy.parse(json.text("glyphText", "quote"));
    } catch (IllegalArgumentException e) {
      throw json.error("glyphText", e.getMessage());
    }
    RewritePolicy rewrite = json.has("promptRewrite") ? RewritePolicy.read(json.object("promptRewrite"))
        : new RewritePolicy(RewritePolicy.Mode.ON, List.of());
    int clipSkip = json.integer("clipSkip", 0);
    if (clipSkip < 0) {
      throw json.error("clipSkip", "expected 0 or more layers, found " + clipSkip);
    }
    int t5MaxLength = json.integer("t5MaxLength", 0);
    if (t5MaxLength < 0 || t5MaxLength > 4096) {
      throw json.error("t5MaxLength", "expected 1..4096 tokens (0 for the family's default), found " + t5MaxLength);
    }
    return new PackOptions(json.has("id") ? Optional.of(json.text("id")) : Optional.empty(),
        json.has("version") ? Optional.of(json.text("version")) : Optional.empty(), json.text("description", ""),
        schedulerClass, overrides, steps, guidance, buckets, normalised, other, glyph, rewrite, clipSkip, t5MaxLength);
  }
}
