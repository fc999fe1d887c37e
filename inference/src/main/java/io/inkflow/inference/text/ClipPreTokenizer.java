package io.inkflow.inference.text;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIP's split of cleaned text, {@code re.findall} of
 * {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+} with
 * IGNORECASE in Python's {@code regex} module, written as a scanner: the alternatives are tried in order at each
 * position and the runs are greedy, which is all the pattern needs (its classes leave nothing to backtrack over).
 *
 * <p>{@code \s} is Unicode White_Space ({@link ClipTextCleaner#isWhiteSpace}), {@code \p{L}} the letter categories and
 * {@code \p{N}} the number categories of this JVM's tables. IGNORECASE changes which code points the classes take in
 * one place: U+0345 COMBINING GREEK YPOGEGRAMMENI (a mark, but it case-folds to the letter iota) matches neither
 * {@code [\p{L}]} nor {@code [^\s\p{L}\p{N}]}, so {@code findall} skips it like a space, and so does this class. It
 * also lets {@code 's} match {@code 'ſ} (long s) and the special tokens match with a long s, which
 * {@link String#regionMatches(boolean, int, String, int, int)} does as well.
 */
final class ClipPreTokenizer {
  private ClipPreTokenizer() {}

  private static final String[] SPECIALS = {ClipTokenizer.START, ClipTokenizer.END};
  private static final String[] CONTRACTIONS = {"s", "t", "re", "ve", "m", "ll", "d"};

  /** The pieces of cleaned text, in order. */
  static List<String> split(String s) {
    List<String> pieces = new ArrayList<>();
    int i = 0;
    while (i < s.length()) {
      if (isSkipped(s.charAt(i))) {
        i++;
        continue;
      }
      int end = pieceEnd(s, i);
      pieces.add(s.substring(i, end));
      i = end;
    }
    return pieces;
  }

  /** Characters that belong to no piece: White_Space, and U+0345 (see the class comment). */
  static boolean isSkipped(char c) {
    return ClipTextCleaner.isWhiteSpace(c) || c == YPOGEGRAMMENI;
  }

  private static final char YPOGEGRAMMENI = '\u0345';

  /** Where the piece that starts at {@code start} ends; {@code s.charAt(start)} is not {@link #isSkipped skipped}. */
  static int pieceEnd(String s, int start) {
    int n = s.length();
    char first = s.charAt(start);
    if (first == '<') {
      for (String special : SPECIALS) {
        if (s.regionMatches(true, start, special, 0, special.length())) {
          return start + special.length();
        }
      }
    } else if (first == '\'') {
      for (String c : CONTRACTIONS) {
        if (s.regionMatches(true, start + 1, c, 0, c.length())) {
          return start + 1 + c.length();
        }
      }
    }
    int cp = s.codePointAt(start);
    int kind = kind(cp);
    int i = start + Character.charCount(cp);
    if (kind == NUMBER) {
      return i;
    }
    while (i < n) {
      int c = s.codePointAt(i);
      if (kind(c) != kind) {
        break;
      }
      i += Character.charCount(c);
    }
    return i;
  }

  private static final int LETTER = 0;
  private static final int NUMBER = 1;
  private static final int OTHER = 2;
  private static final int SPACE = 3;

  private static int kind(int c) {
    if (c < 0x80) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return LETTER;
      }
      if (c >= '0' && c <= '9') {
        return NUMBER;
      }
      return ClipTextCleaner.isWhiteSpace(c) ? SPACE : OTHER;
    }
    if (ClipTextCleaner.isWhiteSpace(c) || c == YPOGEGRAMMENI) {
      return SPACE;
    }
    switch (Character.getType(c)) {
      case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
          Character.MODIFIER_LETTER, Character.OTHER_LETTER -> {
        return LETTER;
      }
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> {
        return NUMBER;
      }
      default -> {
        return OTHER;
      }
    }
  }
}
