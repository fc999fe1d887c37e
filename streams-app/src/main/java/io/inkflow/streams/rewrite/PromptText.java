package io.inkflow.streams.rewrite;

import io.inkflow.inference.text.CjkIdeographs;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Cleans user text before it reaches the model: NFKC normalisation, removal of control, bidi-override
 * and zero-width characters (recorded, or refused under {@link Policy#REFUSE}), whitespace collapsed.
 * Lone surrogates are always refused: they cannot be encoded, so the text was corrupted on the way.
 */
public final class PromptText {
  /** What to do with invisible or control characters. */
  public enum Policy { STRIP, REFUSE }

  public static final String STRIPPED_CONTROL = "STRIPPED_CONTROL";
  public static final String STRIPPED_BIDI = "STRIPPED_BIDI";
  public static final String STRIPPED_ZERO_WIDTH = "STRIPPED_ZERO_WIDTH";
  public static final String STRIPPED_REPLACEMENT_CHAR = "STRIPPED_REPLACEMENT_CHAR";
  public static final String NFKC_CHANGED = "NFKC_CHANGED";
  public static final String WHITESPACE_COLLAPSED = "WHITESPACE_COLLAPSED";

  /** Cleaned text and the list of what cleaning changed (empty when nothing). */
  public record Cleaned(String text, List<String> changes) {}

  private PromptText() {}

  /**
   * Cleans {@code raw}.
   *
   * @param field the field name, for messages
   * @throws Rejection INVALID_CHARACTERS for lone surrogates, or for invisible characters under REFUSE
   */
  public static Cleaned clean(String raw, String field, Policy policy) {
    Set<String> changes = new LinkedHashSet<>();
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < raw.length() && Character.isLowSurrogate(raw.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new Rejection(RejectReason.INVALID_CHARACTERS,
            String.format("%s holds a lone surrogate U+%04X at index %d; expected well-formed Unicode", field, (int) c, i));
      }
    }
    // Printable ASCII is its own NFKC form; other text is checked before it is rebuilt.
    String nfkc = isPrintableAscii(raw) || Normalizer.isNormalized(raw, Normalizer.Form.NFKC)
        ? raw : Normalizer.normalize(raw, Normalizer.Form.NFKC);
    if (!nfkc.equals(raw)) {
      changes.add(NFKC_CHANGED);
    }
    StringBuilder out = new StringBuilder(nfkc.length());
    boolean pendingSpace = false;
    boolean collapsed = false;
    for (int i = 0; i < nfkc.length(); ) {
      int cp = nfkc.codePointAt(i);
      i += Character.charCount(cp);
      // Printable ASCII and the common CJK ideographs are kept as they are, without table lookups.
      if (!(cp > ' ' && cp < 0x7F) && !CjkIdeographs.isCommon(cp)) {
        String removed = classify(cp);
        if (removed != null) {
          if (policy == Policy.REFUSE) {
            throw new Rejection(RejectReason.INVALID_CHARACTERS,
                String.format("%s holds invisible or control character U+%04X; expected printable text", field, cp));
          }
          changes.add(removed);
          // A removed control character (e.g. a newline) still separates words.
          if (removed.equals(STRIPPED_CONTROL) && out.length() > 0) {
            pendingSpace = true;
          }
          continue;
        }
        if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
          // Anything but one plain space between two words is collapsed.
          collapsed |= cp != ' ' || pendingSpace || out.length() == 0;
          if (out.length() > 0) {
            pendingSpace = true;
          }
          continue;
        }
      }
      if (pendingSpace) {
        out.append(' ');
        pendingSpace = false;
      }
      out.appendCodePoint(cp);
    }
    if (collapsed || pendingSpace) {
      changes.add(WHITESPACE_COLLAPSED);
    }
    return new Cleaned(out.toString(), new ArrayList<>(changes));
  }

  private static boolean isPrintableAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /** The change a character's removal records, or null when it stays. */
  static String classify(int cp) {
    if (cp == 0xFFFD) {
      return STRIPPED_REPLACEMENT_CHAR;
    }
    // Bidi embeddings/overrides/isolates and the implicit marks.
    if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C) {
      return STRIPPED_BIDI;
    }
    if (cp == 0x200B || cp == 0x200C || cp == 0x200D || cp == 0x2060 || cp == 0xFEFF || cp == 0x180E) {
      return STRIPPED_ZERO_WIDTH;
    }
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return null; // ordinary whitespace, collapsed below
    }
    int type = Character.getType(cp);
    if (type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE || type == Character.UNASSIGNED) {
      return STRIPPED_CONTROL;
    }
    return null;
  }
}
