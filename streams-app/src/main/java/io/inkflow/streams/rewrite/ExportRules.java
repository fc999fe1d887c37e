package io.inkflow.streams.rewrite;

import io.inkflow.avro.Language;
import io.inkflow.avro.SchedulerChoice;
import io.inkflow.inference.pack.DiffusersExport;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.PackOptions;
import io.inkflow.inference.scheduler.SchedulerConfig;
import io.inkflow.inference.text.ClipTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * What a pack read from a diffusers export needs of a prompt before the rewriter sees it: a language
 * its CLIP text encoder understands (refused or passed with a warning, as {@code inkflow.json} says),
 * the texts to draw quoted into the prompt (these families have no glyph encoder), and everything
 * within the encoder's 77 tokens, keeping the user's prompt first, then the quoted texts, cutting
 * from the end. Each cut is a sanitization and a pipeline note on the job.
 */
final class ExportRules {
  static final String TRUNCATED_PROMPT = "TRUNCATED_PROMPT_TO_TOKEN_BUDGET";
  static final String TRUNCATED_GLYPH_TEXT = "TRUNCATED_GLYPH_TEXT_TO_TOKEN_BUDGET";
  private static final int CLIP_CONTENT_TOKENS = 75;

  private final PackManifest pack;
  private final DiffusersExport export;
  private final PackOptions options;
  private final SchedulerChoice scheduler;
  /** SD3 and Flux budget the prompt with T5; their CLIP encoders still read only 77 tokens of it. */
  private final ClipTokenizer clipOfT5Family;

  /** A prompt prepared for the model, what was cut, and the notes for the job. */
  record Prepared(String prompt, List<String> sanitizations, Map<String, String> notes) {}

  ExportRules(PackManifest pack) {
    this.pack = pack;
    DiffusersExport export = pack.diffusers();
    this.export = export;
    this.options = export.options();
    this.clipOfT5Family = export.family().flowTransformer() && export.hasT5()
        ? ClipTokenizer.open(export.tokenizers().get(0)) : null;
    SchedulerConfig config = export.scheduler();
    Map<String, Object> effective = config.effective();
    this.scheduler = new SchedulerChoice(config.className(),
        effective.containsKey("timestep_spacing") ? config.timestepSpacing() : null,
        config.className().equals(export.schedulerClass()) ? null : export.schedulerClass());
  }

  /** The scheduler every job of the pack records (one object, shared by the jobs of a request). */
  SchedulerChoice scheduler() {
    return scheduler;
  }

  Prepared prepare(String prompt, Language language, List<String> glyphs, String negative, double guidance,
      boolean guidanceRequested, ToIntFunction<String> count, int budget) {
    Map<String, String> notes = new LinkedHashMap<>();
    List<String> cuts = new ArrayList<>();
    String unsupported = unsupportedLanguage(language);
    if (unsupported != null) {
      String message = "prompt is in " + unsupported + "; pack " + pack.id() + "'s text encoder understands "
          + options.languages();
      if (options.otherLanguages() == PackOptions.LanguagePolicy.REFUSE) {
        throw new Rejection(RejectReason.LANGUAGE_UNSUPPORTED, message + "; expected a prompt in "
            + String.join(" or ", options.languages()));
      }
      notes.put("language", message + "; passed as the pack's policy says, the image may not follow it");
    }
    boolean flux = export.family() == DiffusersExport.Family.FLUX;
    if (negative != null && !negative.isEmpty() && flux) {
      notes.put("negativePromptIgnored", "FLUX.1 runs no classifier-free guidance, so the negative prompt has no effect");
    } else if (negative != null && !negative.isEmpty() && !(guidance > 1.0)) {
      notes.put("negativePromptIgnored", "guidance " + guidance + " runs no unconditional rows, so the negative"
          + " prompt has no effect");
    }
    if (flux && guidanceRequested && !export.transformer().guidanceEmbeds()) {
      notes.put("guidanceIgnored", "FLUX.1-schnell takes no guidance; the scale is recorded but not used");
    }
    if (export.family() == DiffusersExport.Family.SD3 && !export.hasT5()) {
      notes.put("t5", "the export has no T5 encoder (text_encoder_3): its block of the context is zeros");
    }
    String text = prompt;
    int tokens = count.applyAsInt(text);
    if (tokens > budget) {
      text = cut(text, count, budget);
      cuts.add(TRUNCATED_PROMPT);
      append(notes, "truncated", "prompt cut from " + tokens + " to " + count.applyAsInt(text) + " tokens (the text"
          + " encoder reads " + budget + ", its own start and end included)");
    }
    if (!glyphs.isEmpty()) {
      if (options.glyphText() == PackOptions.GlyphTextPolicy.DROP) {
        notes.put("glyphText", "texts to draw are not added to the prompt (the pack's glyphText policy is drop)");
      } else {
        List<String> added = new ArrayList<>();
        for (String g : glyphs) {
          if (text.contains(g)) {
            continue;
          }
          String candidate = text + " \"" + g + "\"";
          if (count.applyAsInt(candidate) <= budget) {
            text = candidate;
            added.add(g);
          } else {
            if (!cuts.contains(TRUNCATED_GLYPH_TEXT)) {
              cuts.add(TRUNCATED_GLYPH_TEXT);
            }
            append(notes, "truncated", "text to draw \"" + g + "\" not added: it does not fit " + budget + " tokens");
          }
        }
        if (!added.isEmpty()) {
          notes.put("promptAppended", "texts to draw added to the prompt in quotation marks: " + added);
        }
      }
    }
    if (clipOfT5Family != null) {
      int clipTokens = clipOfT5Family.countTokens(text);
      if (clipTokens > CLIP_CONTENT_TOKENS) {
        notes.put("clipTruncated", "the CLIP encoders read the first " + CLIP_CONTENT_TOKENS + " of " + clipTokens
            + " tokens; T5 reads the whole prompt");
      }
    }
    return new Prepared(text, List.copyOf(cuts), Map.copyOf(notes));
  }

  private String unsupportedLanguage(Language language) {
    List<String> understood = options.languages();
    switch (language) {
      case ZH:
        return understood.contains("zh") ? null : "zh";
      case EN:
        return understood.contains("en") ? null : "en";
      case MIXED:
        return understood.contains("zh") && understood.contains("en") ? null : "zh and en";
      default:
        return null;
    }
  }

  private static void append(Map<String, String> notes, String key, String text) {
    notes.merge(key, text, (a, b) -> a + "; " + b);
  }

  /**
   * The longest start of {@code text} that fits {@code budget} tokens, ended at a space where one
   * is close, never inside a surrogate pair.
   */
  static String cut(String text, ToIntFunction<String> count, int budget) {
    int points = text.codePointCount(0, text.length());
    int lo = 0;
    int hi = points;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (count.applyAsInt(text.substring(0, text.offsetByCodePoints(0, mid))) <= budget) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    String fit = text.substring(0, text.offsetByCodePoints(0, lo));
    int space = fit.lastIndexOf(' ');
    if (space > fit.length() * 3 / 4) {
      fit = fit.substring(0, space);
    }
    return fit.strip();
  }
}
