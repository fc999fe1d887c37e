package io.inkflow.inference.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncation, edge and hostile input, the cache, and the text cleaning, on OpenAI's vocabulary. */
class ClipTokenizerTest {
  @TempDir
  static Path tmp;

  static ClipTokenizer tokenizer;

  @BeforeAll
  static void open() {
    tokenizer = ClipTokenizer.open(ClipReference.writeHfFolder(tmp.resolve("sd15"), "<|endoftext|>"));
  }

  @Test
  void longPromptKeepsTheFirst75TokensAndEndsInEot() {
    String prompt = String.join(" ", Collections.nCopies(200, "cat"));
    assertThat(tokenizer.countTokens(prompt)).isEqualTo(200);
    ClipTokenizer.Encoded e = tokenizer.encodePadded(prompt);
    assertThat(e.ids()).hasSize(77);
    assertThat(e.ids()[0]).isEqualTo(49406);
    assertThat(e.ids()[76]).isEqualTo(49407);
    for (int i = 1; i < 76; i++) {
      assertThat(e.ids()[i]).isEqualTo(2368);
    }
    assertThat(e.truncated()).isTrue();
    assertThat(e.contentTokens()).isEqualTo(75);
    assertThat(e.droppedTokens()).isEqualTo(125);
    assertThat(e.eotIndex()).isEqualTo(76);
    assertThat(e.attentionMask()).containsOnly(1);
  }

  @Test
  void exactly75TokensFitWithoutTruncation() {
    String prompt = String.join(" ", Collections.nCopies(75, "cat"));
    ClipTokenizer.Encoded e = tokenizer.encodePadded(prompt);
    assertThat(e.truncated()).isFalse();
    assertThat(e.eotIndex()).isEqualTo(76);
    assertThat(tokenizer.encodePadded(prompt + " cat").droppedTokens()).isEqualTo(1);
  }

  @Test
  void emptyAndWhitespaceOnlyGiveSotEotAndPadding() {
    for (String text : List.of("", " ", "\t\n\r ", "\u3000\u00A0\u2003", "\u0345")) {
      assertThat(tokenizer.encode(text)).as(text).isEmpty();
      ClipTokenizer.Encoded e = tokenizer.encodePadded(text);
      assertThat(e.ids()[0]).isEqualTo(49406);
      assertThat(e.ids()[1]).isEqualTo(49407);
      assertThat(e.eotIndex()).isEqualTo(1);
      assertThat(e.attentionMask()[1]).isEqualTo(1);
      assertThat(e.attentionMask()[2]).isZero();
    }
  }

  @Test
  void whitespaceAndCaseDoNotChangeIds() {
    int[] plain = tokenizer.encode("a photo of a cat");
    assertThat(tokenizer.encode("  A\tPHOTO\n\nof  a\u00A0Cat \u3000")).containsExactly(plain);
  }

  @Test
  void cjkRunIsOneByteLevelPiece() {
    // One \p{L}+ run: 15 UTF-8 bytes merged into 14 byte-level tokens (as in the reference).
    assertThat(ClipPreTokenizer.split(ClipTextCleaner.clean("中秋节海报"))).containsExactly("中秋节海报");
    assertThat(tokenizer.encode("中秋节海报"))
        .containsExactly(19759, 255, 163, 100, 233, 164, 232, 224, 162, 113, 115, 162, 232, 354);
  }

  @Test
  void splitFollowsClipsPattern() {
    assertThat(ClipPreTokenizer.split("it's 50% off!! <|endoftext|>x'll ''s"))
        .containsExactly("it", "'s", "5", "0", "%", "off", "!!", "<|endoftext|>", "x", "'ll", "''", "s");
    // A literal special token is its id, as in OpenAI's and Hugging Face's tokenizers.
    assertThat(tokenizer.encode("<|endoftext|>")).containsExactly(49407);
    assertThat(tokenizer.encode("<|ENDOFTEXT|>")).containsExactly(49407);
    // Combining marks are not letters: NFD text splits where NFC text does not (cleaning composes it first).
    assertThat(ClipPreTokenizer.split("e\u0301")).containsExactly("e", "\u0301");
    assertThat(tokenizer.encode("e\u0301")).containsExactly(tokenizer.encode("\u00E9"));
  }

  @Test
  void cleaningDoesFtfysCharacterFixes() {
    // Full-width forms and the ideographic space (fix_character_width), not NFC.
    assertThat(ClipTextCleaner.clean("ＳＡＬＥ　５０％")).isEqualTo("sale 50%");
    assertThat(tokenizer.encode("ＳＡＬＥ　５０％")).containsExactly(tokenizer.encode("SALE 50%"));
    assertThat(ClipTextCleaner.clean("青花瓷，白色")).isEqualTo("青花瓷,白色");
    // Curly quotes, ligatures, C1 controls as Windows-1252, line breaks, terminal escapes, control characters.
    assertThat(ClipTextCleaner.clean("\u201CIt\u2019s\u201D")).isEqualTo("\"it's\"");
    assertThat(ClipTextCleaner.clean("\uFB01ne \uFB02ower")).isEqualTo("fine flower");
    assertThat(ClipTextCleaner.clean("\u0093quoted\u0094 \u0080")).isEqualTo("\"quoted\" \u20AC");
    assertThat(ClipTextCleaner.clean("\u001B[31mred\u001B[0m\u0000\u0007\uFEFF")).isEqualTo("red");
    assertThat(ClipTextCleaner.clean("a\r\nb\u2028c")).isEqualTo("a b c");
  }

  @Test
  void htmlIsUnescapedTwiceAsPythonDoes() {
    assertThat(ClipTextCleaner.clean("salt &amp; pepper")).isEqualTo("salt & pepper");
    assertThat(ClipTextCleaner.clean("&amp;lt;tag&amp;gt;")).isEqualTo("<tag>");
    assertThat(ClipTextCleaner.clean("&amp;amp;amp;")).isEqualTo("&amp;");
    assertThat(ClipTextCleaner.clean("it&#39;s &apos;x&apos; &quot;q&quot;")).isEqualTo("it's 'x' \"q\"");
    assertThat(ClipTextCleaner.clean("&copy2024 &amp &notit; &hellip;")).isEqualTo("©2024 & ¬it; …");
    assertThat(ClipTextCleaner.clean("&#x80; &#0; &#x110000; &#xD800; &#1; &#99999999999999999999;"))
        .isEqualTo("€ \uFFFD \uFFFD \uFFFD \uFFFD");
    assertThat(ClipTextCleaner.clean("AT&T &#x; & &unknownname;")).isEqualTo("at&t &#x; & &unknownname;");
    assertThat(tokenizer.encode("cats &amp; dogs")).containsExactly(tokenizer.encode("cats & dogs"));
  }

  @Test
  void lowerCaseFollowsPython() {
    // Final sigma by the case-ignorable rule; dotted capital I to i + combining dot.
    assertThat(ClipTextCleaner.lower("ΟΔΟΣ ΣΑ Σ aΣ. a½Σ")).isEqualTo("οδος σα σ aς. a½σ");
    assertThat(ClipTextCleaner.lower("İ")).isEqualTo("i\u0307");
  }

  @Test
  void hostileUnicodeNeverThrows() {
    List<String> texts = List.of(
        "\uD800", "a\uDC00b", "\uDBFF", "\uD83D\uDE00\uD83D", // lone surrogates: replaced with U+FFFD, as ftfy does
        "👩‍👩‍👧‍👦 🇨🇳 🏳️‍🌈 ❤️", "Z\u0351\u0352\u0353\u0354a\u0300\u0301\u0302\u0303", "שלום עולם مرحبا \u202Eevil\u202C",
        "\u0000\u0000nul", "zero\u200Bwidth\u200Cjoin\u200Dx\u2060", "\uFFFF\uFFFE\uFDD0", "\uDB40\uDC01 tags",
        "x".repeat(10_000), "中".repeat(10_000), "a b ".repeat(5_000), "!?".repeat(5_000), "1".repeat(10_000));
    for (String text : texts) {
      assertThatCode(() -> {
        int[] ids = tokenizer.encode(text);
        assertThat(tokenizer.countTokens(text)).isEqualTo(ids.length);
        assertPadded(tokenizer.encodePadded(text));
      }).as(text.length() > 40 ? text.substring(0, 40) : text).doesNotThrowAnyException();
    }
    assertThat(tokenizer.encode("\uD800")).containsExactly(tokenizer.encode("\uFFFD"));
    assertThat(tokenizer.countTokens("1".repeat(10_000))).isEqualTo(10_000);
  }

  @Test
  void cacheDoesNotChangeResults() {
    Random random = new Random(11);
    List<String> texts = randomStrings(random, 500);
    List<int[]> first = new ArrayList<>();
    for (String t : texts) {
      first.add(tokenizer.encode(t));
    }
    ClipTokenizer cold = ClipTokenizer.open(tmp.resolve("sd15"));
    for (int i = 0; i < texts.size(); i++) {
      assertThat(tokenizer.encode(texts.get(i))).as(texts.get(i)).containsExactly(first.get(i));
      assertThat(cold.encode(texts.get(i))).as(texts.get(i)).containsExactly(first.get(i));
    }
    // Past the cache's capacity (it empties itself) results stay the same.
    for (int i = 0; i < ClipTokenizer.CACHE_ENTRIES + 100; i++) {
      cold.countTokens("w" + i);
    }
    for (int i = 0; i < texts.size(); i++) {
      assertThat(cold.encode(texts.get(i))).containsExactly(first.get(i));
    }
  }

  @Test
  void randomStringsAlwaysEncodeToValidPaddedIds() {
    Random random = new Random(2024);
    for (String text : randomStrings(random, 2000)) {
      int[] ids = tokenizer.encode(text);
      for (int id : ids) {
        assertThat(id).as(text).isBetween(0, tokenizer.vocabSize() - 1);
      }
      assertThat(tokenizer.countTokens(text)).isEqualTo(ids.length);
      ClipTokenizer.Encoded e = tokenizer.encodePadded(text);
      assertPadded(e);
      assertThat(e.contentTokens() + e.droppedTokens()).isEqualTo(ids.length);
    }
  }

  private static void assertPadded(ClipTokenizer.Encoded e) {
    assertThat(e.ids()).hasSize(77);
    assertThat(e.attentionMask()).hasSize(77);
    assertThat(e.ids()[0]).isEqualTo(49406);
    assertThat(e.ids()[e.eotIndex()]).isEqualTo(49407);
    assertThat(e.eotIndex()).isEqualTo(e.contentTokens() + 1);
    for (int i = 0; i < 77; i++) {
      assertThat(e.ids()[i]).isBetween(0, 49407);
      assertThat(e.attentionMask()[i]).isEqualTo(i <= e.eotIndex() ? 1 : 0);
    }
  }

  /** Letters, accents, digits, punctuation, CJK, kana, Hangul, full-width forms, spaces, invisibles, emoji, entities, any code point. */
  static List<String> randomStrings(Random random, int count) {
    int[] alphabet = ("abcXYZ éüñÅßİΣ 0123٣½Ⅻ ,.!?'\"“”「」（）—-_@#%&;* 你好春福中秋 ㄅか가ﬁ \t\n\u00A0\u3000\u2003"
        + "\u200B\u202E\u0007\u000B\u007F\u0085\u00AD\u0301\u0345ſ 🎂👩‍👧").codePoints().toArray();
    List<String> out = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(60);
      for (int i = 0; i < len; i++) {
        int r = random.nextInt(20);
        if (r == 0) {
          sb.append("&amp;");
        } else if (r == 1) {
          int cp = random.nextInt(0x110000);
          if (cp < 0xD800 || cp > 0xDFFF) {
            sb.appendCodePoint(cp);
          }
        } else {
          sb.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
        }
      }
      out.add(sb.toString());
    }
    return out;
  }
}
