package io.inkflow.inference.text;

import java.text.Normalizer;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.text.translate.EntityArrays;

/**
 * The text cleaning CLIP's tokenizer applies before splitting: {@code whitespace_clean(basic_clean(text)).lower()} of
 * OpenAI's {@code simple_tokenizer.py}, where {@code basic_clean} is {@code ftfy.fix_text}, {@code html.unescape} twice
 * and {@code strip}.
 *
 * <p>ftfy has no Java port. Of {@code fix_text}'s default steps this class does, in ftfy's order: C1 controls read as
 * Windows-1252, Latin ligatures taken apart, full-width and half-width forms to their standard width (and U+3000 to a
 * space), curly quotes straightened, line breaks to {@code \n}, lone surrogates to U+FFFD, ANSI terminal escapes and
 * unwanted control characters removed, then NFC. It does not repair mojibake ({@code fix_encoding} and its byte-level
 * relatives), and it does not run ftfy's own HTML pass: that pass decodes only {@code ;}-terminated entities (and
 * upper-case ones such as {@code &EACUTE;}) until nothing changes, so text escaped three times or more, or with
 * upper-case entity names, comes out differently. {@link #unescapeHtml} follows Python's {@code html.unescape} for
 * numeric references and for the HTML 4 names (plus {@code &apos;}), with and without {@code ;} as Python accepts them;
 * the other HTML 5 names stay as written.
 */
final class ClipTextCleaner {
  private ClipTextCleaner() {}

  /** Windows-1252 for 0x80..0x9F; the five bytes it leaves undefined keep their Latin-1 code point. */
  private static final char[] CP1252_C1 = {
      '\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
      '\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
      '\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
      '\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178'};

  /** ftfy's LIGATURES table. */
  private static final Map<Integer, String> LIGATURES = Map.ofEntries(
      Map.entry(0x0132, "IJ"), Map.entry(0x0133, "ij"), Map.entry(0x0149, "\u02BCn"),
      Map.entry(0x01F1, "DZ"), Map.entry(0x01F2, "Dz"), Map.entry(0x01F3, "dz"),
      Map.entry(0x01C4, "D\u017D"), Map.entry(0x01C5, "D\u017E"), Map.entry(0x01C6, "d\u017E"),
      Map.entry(0x01C7, "LJ"), Map.entry(0x01C8, "Lj"), Map.entry(0x01C9, "lj"),
      Map.entry(0x01CA, "NJ"), Map.entry(0x01CB, "Nj"), Map.entry(0x01CC, "nj"),
      Map.entry(0xFB00, "ff"), Map.entry(0xFB01, "fi"), Map.entry(0xFB02, "fl"), Map.entry(0xFB03, "ffi"),
      Map.entry(0xFB04, "ffl"), Map.entry(0xFB05, "\u017Ft"), Map.entry(0xFB06, "st"));

  /** ftfy's WIDTH_MAP: U+FF01..U+FFEF to their NFKC form where that differs, U+3000 to a space. */
  private static final String[] WIDTH = new String[0xFFF0 - 0xFF01];

  /** Python's html.unescape tables, from the HTML 4 entity lists. */
  private static final Map<String, String> ENTITIES = new HashMap<>();

  /** Names HTML 5 also accepts without the {@code ;} (the ISO-8859-1 ones, amp, lt, gt, quot and six upper-case). */
  private static final Map<String, String> LEGACY_ENTITIES = new HashMap<>();

  static {
    for (int c = 0xFF01; c < 0xFFF0; c++) {
      String s = String.valueOf((char) c);
      String n = Normalizer.normalize(s, Normalizer.Form.NFKC);
      WIDTH[c - 0xFF01] = n.equals(s) ? null : n;
    }
    for (Map<CharSequence, CharSequence> table : List.of(EntityArrays.BASIC_UNESCAPE, EntityArrays.ISO8859_1_UNESCAPE)) {
      table.forEach((k, v) -> {
        String name = k.subSequence(1, k.length() - 1).toString();
        LEGACY_ENTITIES.put(name, v.toString());
        ENTITIES.put(name + ";", v.toString());
      });
    }
    for (String upper : new String[] {"AMP", "COPY", "GT", "LT", "QUOT", "REG"}) {
      String value = LEGACY_ENTITIES.get(upper.toLowerCase(Locale.ROOT));
      LEGACY_ENTITIES.put(upper, value);
      ENTITIES.put(upper + ";", value);
    }
    for (Map<CharSequence, CharSequence> table : List.of(EntityArrays.HTML40_EXTENDED_UNESCAPE, EntityArrays.APOS_UNESCAPE)) {
      table.forEach((k, v) -> ENTITIES.put(k.subSequence(1, k.length()).toString(), v.toString()));
    }
    ENTITIES.putAll(LEGACY_ENTITIES);
  }

  /** The text as CLIP's tokenizer sees it before splitting: cleaned, whitespace collapsed, stripped, lower-cased. */
  static String clean(String text) {
    String s = fixText(text);
    if (s.indexOf('&') >= 0) {
      s = unescapeHtml(unescapeHtml(s));
    }
    return lower(collapseWhitespace(s));
  }

  /**
   * Python's {@code str.lower}: each code point's lower case (U+0130 to "i̇"), and capital sigma to final sigma by
   * Python's rule (a cased letter before it, past case-ignorable characters, and none after), where Java's
   * {@link String#toLowerCase} decides by word boundaries instead.
   */
  static String lower(String s) {
    boolean ascii = true;
    for (int i = 0; i < s.length() && ascii; i++) {
      ascii = s.charAt(i) < 0x80;
    }
    if (ascii) {
      return s.toLowerCase(Locale.ROOT);
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      if (c == 0x3A3) {
        out.append(finalSigma(s, i) ? '\u03C2' : '\u03C3');
      } else if (c == 0x130) {
        out.append("i\u0307");
      } else {
        out.appendCodePoint(Character.toLowerCase(c));
      }
      i += Character.charCount(c);
    }
    return out.toString();
  }

  private static boolean finalSigma(String s, int at) {
    int j = at;
    int before = -1;
    while (j > 0) {
      int c = s.codePointBefore(j);
      j -= Character.charCount(c);
      if (!caseIgnorable(c)) {
        before = c;
        break;
      }
    }
    if (before < 0 || !cased(before)) {
      return false;
    }
    for (int k = at + 1; k < s.length(); ) {
      int c = s.codePointAt(k);
      if (!caseIgnorable(c)) {
        return !cased(c);
      }
      k += Character.charCount(c);
    }
    return true;
  }

  /** Unicode Cased: Lowercase, Uppercase or titlecase letter. */
  private static boolean cased(int c) {
    return Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c);
  }

  /** Unicode Case_Ignorable: Mn, Me, Cf, Lm, Sk, and the Word_Break MidLetter, MidNumLet and Single_Quote characters. */
  private static boolean caseIgnorable(int c) {
    switch (Character.getType(c)) {
      case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.FORMAT, Character.MODIFIER_LETTER,
          Character.MODIFIER_SYMBOL -> {
        return true;
      }
      default -> {
        return c == '\'' || c == '.' || c == ':' || c == 0xB7 || c == 0x387 || c == 0x55F || c == 0x5F4 || c == 0x2018
            || c == 0x2019 || c == 0x2024 || c == 0x2027 || c == 0xFE13 || c == 0xFE52 || c == 0xFE55 || c == 0xFF07
            || c == 0xFF0E || c == 0xFF1A;
      }
    }
  }

  /** The subset of {@code ftfy.fix_text} described on the class. */
  static String fixText(String text) {
    if (isPlainAscii(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int n = text.length();
    for (int i = 0; i < n; i++) {
      char c = text.charAt(i);
      // fix_c1_controls
      if (c >= 0x80 && c <= 0x9F) {
        c = CP1252_C1[c - 0x80];
      }
      // fix_latin_ligatures
      String ligature = (c >= 0x0132 && c <= 0x01F3) || (c >= 0xFB00 && c <= 0xFB06) ? LIGATURES.get((int) c) : null;
      if (ligature != null) {
        out.append(ligature);
        continue;
      }
      // fix_character_width
      if (c == 0x3000) {
        out.append(' ');
        continue;
      }
      if (c >= 0xFF01 && c < 0xFFF0 && WIDTH[c - 0xFF01] != null) {
        out.append(WIDTH[c - 0xFF01]);
        continue;
      }
      // uncurl_quotes
      if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
        out.append('\'');
        continue;
      }
      if (c >= 0x201C && c <= 0x201F) {
        out.append('"');
        continue;
      }
      // fix_line_breaks
      if (c == '\r') {
        out.append('\n');
        if (i + 1 < n && text.charAt(i + 1) == '\n') {
          i++;
        }
        continue;
      }
      // (U+0085 is among the C1 controls, which are Windows-1252 by now.)
      if (c == 0x2028 || c == 0x2029) {
        out.append('\n');
        continue;
      }
      // fix_surrogates: a pair is one code point already; a lone half becomes U+FFFD.
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
        continue;
      }
      if (Character.isSurrogate(c)) {
        out.append('\uFFFD');
        continue;
      }
      out.append(c);
    }
    String s = removeTerminalEscapes(out);
    s = removeControlChars(s);
    return Normalizer.isNormalized(s, Normalizer.Form.NFC) ? s : Normalizer.normalize(s, Normalizer.Form.NFC);
  }

  private static boolean isPlainAscii(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x7F || (c < 0x20 && c != '\n' && c != '\t')) {
        return false;
      }
    }
    return true;
  }

  /** ftfy's ANSI_RE: ESC [ then digits (any script's decimal digits, as Python's \d) or ';', then an ASCII letter. */
  private static String removeTerminalEscapes(CharSequence s) {
    StringBuilder out = null;
    int n = s.length();
    int copied = 0;
    for (int i = 0; i < n; i++) {
      if (s.charAt(i) != 0x1B || i + 1 >= n || s.charAt(i + 1) != '[') {
        continue;
      }
      int j = i + 2;
      while (j < n) {
        int c = Character.codePointAt(s, j);
        if (c != ';' && Character.getType(c) != Character.DECIMAL_DIGIT_NUMBER) {
          break;
        }
        j += Character.charCount(c);
      }
      if (j < n && ((s.charAt(j) >= 'a' && s.charAt(j) <= 'z') || (s.charAt(j) >= 'A' && s.charAt(j) <= 'Z'))) {
        if (out == null) {
          out = new StringBuilder(n);
        }
        out.append(s, copied, i);
        copied = j + 1;
        i = j;
      }
    }
    if (out == null) {
      return s.toString();
    }
    return out.append(s, copied, n).toString();
  }

  /** ftfy's CONTROL_CHARS: C0 controls but tab, LF, FF and CR; DEL; U+206A..U+206F; U+FEFF; U+FFF9..U+FFFC. */
  private static String removeControlChars(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean drop = (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') || c == 0x7F
          || (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
      if (drop && out == null) {
        out = new StringBuilder(s.length()).append(s, 0, i);
      } else if (!drop && out != null) {
        out.append(c);
      }
    }
    return out == null ? s : out.toString();
  }

  /**
   * Python's {@code html.unescape}: {@code &#N;}, {@code &#xN;} (the {@code ;} optional) and named references, with
   * the longest known prefix of an unknown name decoded as HTML 5 does ({@code &copy2024} is {@code ©2024}).
   */
  static String unescapeHtml(String s) {
    int amp = s.indexOf('&');
    if (amp < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    out.append(s, 0, amp);
    int i = amp;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (c != '&' || i + 1 >= n) {
        out.append(c);
        i++;
        continue;
      }
      int end = s.charAt(i + 1) == '#' ? numericReference(s, i, out) : namedReference(s, i, out);
      if (end < 0) {
        out.append('&');
        i++;
      } else {
        i = end;
      }
    }
    return out.toString();
  }

  /** Appends the decoded {@code &#...} at {@code amp} and returns where it ends, or -1 when there is none. */
  private static int numericReference(String s, int amp, StringBuilder out) {
    int n = s.length();
    int i = amp + 2;
    boolean hex = i < n && (s.charAt(i) == 'x' || s.charAt(i) == 'X');
    if (hex) {
      i++;
    }
    int start = i;
    long value = 0;
    while (i < n && digit(s.charAt(i), hex) >= 0) {
      // Saturate: anything past U+10FFFF decodes to U+FFFD, whatever its size.
      value = Math.min(value * (hex ? 16 : 10) + digit(s.charAt(i), hex), 0x7FFFFFFFL);
      i++;
    }
    if (i == start) {
      return -1;
    }
    if (i < n && s.charAt(i) == ';') {
      i++;
    }
    int cp = (int) value;
    if (cp == 0) {
      out.append('\uFFFD');
    } else if (cp == 0x0D) {
      out.append('\r');
    } else if (cp >= 0x80 && cp <= 0x9F) {
      out.append(CP1252_C1[cp - 0x80]);
    } else if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      out.append('\uFFFD');
    } else if (!invalidCodePoint(cp)) {
      out.appendCodePoint(cp);
    }
    return i;
  }

  private static int digit(char c, boolean hex) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (hex && c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (hex && c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** Python's html._invalid_codepoints (less the C1 range, which Windows-1252 took above): decoded to nothing. */
  private static boolean invalidCodePoint(int cp) {
    return (cp >= 0x1 && cp <= 0x8) || cp == 0xB || (cp >= 0xE && cp <= 0x1F) || cp == 0x7F
        || (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
  }

  /** Appends the decoded {@code &name} at {@code amp} and returns where it ends, or -1 when there is none. */
  private static int namedReference(String s, int amp, StringBuilder out) {
    // Python's pattern: [^\t\n\f <&#;]{1,32};?
    int n = s.length();
    int i = amp + 1;
    while (i < n && i - amp - 1 < 32 && "\t\n\f <&#;".indexOf(s.charAt(i)) < 0) {
      i++;
    }
    if (i == amp + 1) {
      return -1;
    }
    if (i < n && s.charAt(i) == ';') {
      i++;
    }
    String name = s.substring(amp + 1, i);
    String value = ENTITIES.get(name);
    if (value != null) {
      out.append(value);
      return i;
    }
    for (int x = name.length() - 1; x > 1; x--) {
      String prefix = name.substring(0, x);
      // A prefix cannot end in ';' (the pattern stops there), so only the names valid without one apply.
      String legacy = LEGACY_ENTITIES.get(prefix);
      if (legacy != null) {
        out.append(legacy).append(name, x, name.length());
        return i;
      }
    }
    out.append('&').append(name);
    return i;
  }

  /** Unicode White_Space, which is what {@code \s} matches in Python's {@code regex} module. */
  static boolean isWhiteSpace(int c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
  }

  /** Python's {@code str.isspace}: White_Space and the four information separators U+001C..U+001F. */
  private static boolean isPythonSpace(char c) {
    return isWhiteSpace(c) || (c >= 0x1C && c <= 0x1F);
  }

  /** {@code strip}, then every run of White_Space to one space, then {@code strip} again (Python's isspace). */
  static String collapseWhitespace(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isPythonSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isPythonSpace(s.charAt(end - 1))) {
      end--;
    }
    StringBuilder out = null;
    boolean inSpace = false;
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      boolean space = isWhiteSpace(c);
      if (out == null) {
        // Nothing to change while each space is a single ' '.
        if (space && (c != ' ' || (i + 1 < end && isWhiteSpace(s.charAt(i + 1))))) {
          out = new StringBuilder(end - start).append(s, start, i);
        } else {
          continue;
        }
      }
      if (space) {
        if (!inSpace) {
          out.append(' ');
        }
        inSpace = true;
      } else {
        out.append(c);
        inSpace = false;
      }
    }
    String collapsed = out == null ? s.substring(start, end) : out.toString();
    // After collapsing only ' ' or U+001C..U+001F can sit at the ends; strip them as Python does.
    int a = 0;
    int b = collapsed.length();
    while (a < b && isPythonSpace(collapsed.charAt(a))) {
      a++;
    }
    while (b > a && isPythonSpace(collapsed.charAt(b - 1))) {
      b--;
    }
    return a == 0 && b == collapsed.length() ? collapsed : collapsed.substring(a, b);
  }
}
