package io.inkflow.inference.pack;

import java.util.List;
import java.util.Locale;

/**
 * What the prompt-engineering (PE) stream may do to prompts for this pack.
 *
 * @param mode on, off, or restricted to a vocabulary
 * @param vocabulary the words a rewrite may use when {@code mode} is {@link Mode#VOCABULARY}
 */
public record RewritePolicy(Mode mode, List<String> vocabulary) {

  public RewritePolicy {
    vocabulary = List.copyOf(vocabulary);
  }

  /** Rewrite modes. */
  public enum Mode {
    /** Rewrite freely. */
    ON,
    /** Pass prompts through unchanged. */
    OFF,
    /** Rewrite only with words from the vocabulary (a pack trained on a closed vocabulary). */
    VOCABULARY;

    public static Mode parse(String text) {
      switch (text.trim().toLowerCase(Locale.ROOT)) {
        case "on": case "true": case "enabled": return ON;
        case "off": case "false": case "disabled": return OFF;
        case "vocabulary": case "restricted": return VOCABULARY;
        default: throw new IllegalArgumentException("expected on, off or vocabulary, found '" + text + "'");
      }
    }
  }

  static RewritePolicy read(ManifestJson json) {
    Mode mode;
    try {
      mode = Mode.parse(json.text("policy"));
    } catch (IllegalArgumentException e) {
      throw json.error("policy", e.getMessage());
    }
    List<String> words = json.texts("vocabulary");
    if (mode == Mode.VOCABULARY && words.isEmpty()) {
      throw json.error("vocabulary", "expected a non-empty word list for policy 'vocabulary', found none");
    }
    return new RewritePolicy(mode, words);
  }
}
