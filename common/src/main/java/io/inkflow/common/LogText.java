package io.inkflow.common;

/**
 * Makes a client-controlled string (an id, a prompt, a header, a message quoting them) safe to quote
 * in a log line: control, bidi-override and line-separator characters are written as {@code \\uXXXX}
 * (a value cannot forge a log line or hide text), and a long value is cut, keeping its length
 * ({@code abc…[1011 chars]}), so one record cannot flood the log.
 */
public final class LogText {
  /** How much of an id or prompt a log line quotes. */
  public static final int MAX_CHARS = 120;

  private LogText() {}

  /** {@code value} cut to {@value #MAX_CHARS} characters and escaped; "null" for null. */
  public static String of(CharSequence value) {
    return of(value, MAX_CHARS);
  }

  /** {@code value} cut to {@code max} characters and escaped; "null" for null. */
  public static String of(CharSequence value, int max) {
    if (value == null) {
      return "null";
    }
    int n = value.length();
    int keep = Math.min(n, max);
    if (keep < n && Character.isHighSurrogate(value.charAt(keep - 1))) {
      keep--; // never split a surrogate pair
    }
    StringBuilder out = null;
    for (int i = 0; i < keep; i++) {
      char c = value.charAt(i);
      if (isUnsafe(c)) {
        if (out == null) {
          out = new StringBuilder(keep + 16).append(value, 0, i);
        }
        out.append(String.format("\\u%04X", (int) c));
      } else if (out != null) {
        out.append(c);
      }
    }
    String safe = out != null ? out.toString() : value.subSequence(0, keep).toString();
    return keep < n ? safe + "…[" + n + " chars]" : safe;
  }

  /**
   * C0 and C1 controls (newlines and ESC included), DEL, the bidi embedding, override and isolate
   * controls, the directional marks, and the line and paragraph separators.
   */
  static boolean isUnsafe(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')
        || c == '\u2028' || c == '\u2029' || c == '\u200e' || c == '\u200f' || c == '\u061c';
  }
}
