package io.inkflow.testing.arbitrary;

import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Strings a client can put in an event: plausible prompts and ids mixed with hostile text (CJK,
 * emoji, control, bidi and zero-width characters, lone UTF-16 surrogates, combining marks), edge
 * lengths around the PE limits and huge strings. Shared by the property tiers of several modules.
 */
public final class ArbitraryText {
  private static final List<String> EN_WORDS = List.of("a", "red", "teapot", "on", "the", "table", "poster", "of",
      "cat", "mountain", "at", "sunset", "with", "the words", "\"SALE\"", "neon", "sign", "logo", "watercolor",
      "photo", "3D", "render", "blue", "background", "circle", "forbidden");
  private static final List<String> ZH_WORDS = List.of("青花瓷", "风格", "写出", "“春”字", "海报", "中心", "元素", "一只",
      "猫", "山水画", "夕阳", "「福」", "霓虹灯", "招牌", "，", "。");
  /** Lengths just inside and just outside the limits the PE stage checks (ids 128, result keys 1024, prompts 2000). */
  private static final List<Integer> EDGE_LENGTHS = List.of(127, 128, 129, 1024, 1025, 2000, 2001, 8001);
  /** The length of a huge string: far beyond every limit, still cheap to serialize. */
  public static final int HUGE = 100_000;

  private ArbitraryText() {}

  /** Code points of every kind the pipeline must survive, weighted so that each shows up often. */
  public static Arbitrary<Integer> codePoints() {
    return Arbitraries.frequencyOf(
        Tuple.of(30, Arbitraries.integers().between(0x20, 0x7E)), // printable ASCII
        Tuple.of(12, Arbitraries.integers().between(0x4E00, 0x9FFF)), // CJK ideographs
        Tuple.of(3, Arbitraries.integers().between(0x3000, 0x303F)), // CJK punctuation, U+3000 ideographic space, 「」
        Tuple.of(3, Arbitraries.integers().between(0xFF01, 0xFF5E)), // fullwidth forms: NFKC folds them
        Tuple.of(6, Arbitraries.integers().between(0x1F300, 0x1FAFF)), // emoji: surrogate pairs in UTF-16
        Tuple.of(2, Arbitraries.of(0x1F1E8, 0x1F1F3, 0xFE0F, 0x1F3FB, 0x20E3)), // flag halves, VS16, skin tone, keycap
        Tuple.of(5, Arbitraries.integers().between(0x00, 0x1F)), // C0 controls, NUL, tab, newlines
        Tuple.of(2, Arbitraries.integers().between(0x7F, 0x9F)), // DEL and C1 controls
        Tuple.of(4, Arbitraries.of(0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068,
            0x2069, 0x061C)), // bidi controls
        Tuple.of(4, Arbitraries.of(0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD)), // zero-width, BOM, soft hyphen
        Tuple.of(3, Arbitraries.integers().between(0xD800, 0xDFFF)), // lone UTF-16 surrogates
        Tuple.of(2, Arbitraries.integers().between(0x0300, 0x036F)), // combining marks
        Tuple.of(2, Arbitraries.of(0x00A0, 0x1680, 0x2003, 0x2028, 0x2029, 0x0085)), // unusual whitespace
        Tuple.of(2, Arbitraries.of((int) '“', (int) '”', (int) '"', (int) '「', (int) '」', (int) '\'', (int) '/',
            (int) '\\', (int) '.')), // quotes (glyph extraction) and path characters
        Tuple.of(2, Arbitraries.integers().between(0x0590, 0x06FF)), // Hebrew and Arabic: right-to-left
        Tuple.of(1, Arbitraries.integers().between(0xE000, 0xF8FF)), // private use
        Tuple.of(1, Arbitraries.of(0xFFFD, 0xFFFE, 0xFFFF, 0x10FFFF))); // replacement character, noncharacters
  }

  /** Up to {@code maxCodePoints} arbitrary code points. */
  public static Arbitrary<String> unicode(int minCodePoints, int maxCodePoints) {
    return codePoints().list().ofMinSize(minCodePoints).ofMaxSize(maxCodePoints).map(ArbitraryText::fromCodePoints);
  }

  /** English, Chinese or mixed prompts of the kind clients send, some with literal text to draw. */
  public static Arbitrary<String> prompts() {
    Arbitrary<String> en = Arbitraries.of(EN_WORDS).list().ofMinSize(1).ofMaxSize(12).map(w -> String.join(" ", w));
    Arbitrary<String> zh = Arbitraries.of(ZH_WORDS).list().ofMinSize(1).ofMaxSize(10).map(w -> String.join("", w));
    Arbitrary<String> mixed = Arbitraries.oneOf(Arbitraries.of(EN_WORDS), Arbitraries.of(ZH_WORDS)).list()
        .ofMinSize(1).ofMaxSize(12).map(w -> String.join(" ", w));
    return Arbitraries.oneOf(en, zh, mixed);
  }

  /** Text of any kind: plausible, hostile, blank, at an edge length or huge. */
  public static Arbitrary<String> text() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, prompts()),
        Tuple.of(5, unicode(0, 40)),
        Tuple.of(2, Arbitraries.of("", " ", "\t\n", "\u3000", "\u200B", "\u202E", "\uD800", "\uDC00x", "\u0000")),
        Tuple.of(1, sized(EDGE_LENGTHS)),
        Tuple.of(1, huge()));
  }

  /** Mostly ids a client would choose, some unsafe in a key or a path, some hostile, at an edge length or huge. */
  public static Arbitrary<String> ids() {
    Arbitrary<String> safe = Combinators.combine(
            Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').numeric().ofLength(1),
            Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').numeric().withChars("._-").ofMaxLength(39))
        .as(String::concat);
    Arbitrary<String> unsafe = Arbitraries.of("", ".", "..", "../etc/passwd", "a/b", "a..b", ".hidden", "a b", "C:\\x",
        "%2e%2e", "x\u0000y", "猫-1", "\uD83D\uDE00", "\uD800");
    return Arbitraries.frequencyOf(
        Tuple.of(20, safe),
        Tuple.of(3, unsafe),
        Tuple.of(2, unicode(0, 20)),
        Tuple.of(1, sized(EDGE_LENGTHS)),
        Tuple.of(1, huge()));
  }

  /** A string of {@link #HUGE} characters, a short arbitrary piece repeated (cheap to generate and to shrink). */
  public static Arbitrary<String> huge() {
    return unicode(1, 6).map(piece -> repeatTo(piece, HUGE));
  }

  /** A string of exactly one of {@code lengths} UTF-16 chars (an odd cut may leave a lone surrogate at the end). */
  public static Arbitrary<String> sized(List<Integer> lengths) {
    return Arbitraries.of(lengths).flatMap(n -> unicode(1, 6).map(piece -> repeatTo(piece, n)));
  }

  /** What a string becomes once written as Avro (UTF-8): lone surrogates turn into '?'. */
  public static String afterUtf8(String s) {
    return s == null ? null : new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }

  /** A short description of a string for reports: its length and head, with invisible characters escaped. */
  public static String brief(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (int i = 0; i < s.length() && shown < 24; i++, shown++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7F) {
        out.append(c);
      } else {
        out.append(String.format("\\u%04X", (int) c));
      }
    }
    return "\"" + out + (s.length() > shown ? "…" : "") + "\"(" + s.length() + ")";
  }

  private static String fromCodePoints(List<Integer> codePoints) {
    StringBuilder b = new StringBuilder(codePoints.size() * 2);
    codePoints.forEach(b::appendCodePoint);
    return b.toString();
  }

  private static String repeatTo(String piece, int length) {
    StringBuilder b = new StringBuilder(length);
    while (b.length() < length) {
      b.append(piece);
    }
    b.setLength(length);
    return b.toString();
  }
}
