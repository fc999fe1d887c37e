package io.inkflow.testing.arbitrary;

/** The property tests' own reading of UTF-16, written apart from the serde's so that it can disagree with it. */
final class Utf16 {
  private Utf16() {}

  /** Whether {@code s} holds a surrogate that is not half of a high-low pair ({@code null}: no). */
  static boolean hasUnpairedSurrogate(String s) {
    if (s == null) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
