package io.inkflow.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.text.GlyphTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TextMetricsTest {

  @Test
  void editDistanceAndCommonSubsequenceByHand() {
    assertThat(TextMetrics.levenshtein("kitten".codePoints().toArray(), "sitting".codePoints().toArray())).isEqualTo(3);
    assertThat(TextMetrics.lcs("ABCBDAB".codePoints().toArray(), "BDCABA".codePoints().toArray())).isEqualTo(4);
    // code points, not UTF-16 units or bytes: one substitution
    assertThat(TextMetrics.levenshtein("中秋🎉".codePoints().toArray(), "中秋🎈".codePoints().toArray())).isEqualTo(1);
  }

  @Test
  void seedreamMetricsMatchThePythonReference() {
    JsonNode cases = Golden.of(TestPacks.reward()).index().get("textMetrics");
    assertThat(cases.size()).isEqualTo(6);
    for (JsonNode c : cases) {
      TextRenderingScore s = TextMetrics.score(c.get("recognized").asText(), c.get("target").asText());
      assertThat(s.accuracy()).as("R_a " + c).isCloseTo(c.get("accuracy").asDouble(), within(1e-12));
      assertThat(s.hitRate()).as("R_h " + c).isCloseTo(c.get("hitRate").asDouble(), within(1e-12));
    }
    // by hand: "SA1E" vs "SALE": one substitution of four -> R_a = 0.75; 3 of 4 in order -> R_h = 0.75
    assertThat(TextMetrics.score("SA1E", "SALE").accuracy()).isEqualTo(0.75);
    // too long is penalised by R_a (floored at 0) but not by R_h
    TextRenderingScore repeated = TextMetrics.score("SALESALESALE", "SALE");
    assertThat(repeated.accuracy()).isZero();
    assertThat(repeated.hitRate()).isEqualTo(1.0);
  }

  @Test
  void lenientUtf8DropsBytesThatStartNoValidSequence() {
    // 'A', C3 followed by '(' (not a continuation) is dropped, '(', then 中 (E4 B8 AD)
    assertThat(TextMetrics.utf8Lenient(bytes(0x41, 0xC3, 0x28, 0xE4, 0xB8, 0xAD))).isEqualTo("A(中");
    assertThat(TextMetrics.utf8Lenient(bytes(0xC0, 0x80))).isEmpty();              // overlong NUL
    assertThat(TextMetrics.utf8Lenient(bytes(0xED, 0xA0, 0x80))).isEmpty();        // surrogate
    assertThat(TextMetrics.utf8Lenient(bytes(0xE4, 0xB8))).isEmpty();              // truncated
    assertThat(TextMetrics.utf8Lenient(bytes(0xF0, 0x9F, 0x8E, 0x89))).isEqualTo("🎉");
  }

  @Test
  void greedyDecodingStopsAtEosAndSkipsPadding() {
    int vocab = GlyphTokenizer.VOCAB;
    int[] best = {'O' + 3, 0, 'K' + 3, GlyphTokenizer.EOS, 'X' + 3};
    float[] logits = new float[best.length * vocab];
    for (int p = 0; p < best.length; p++) {
      logits[p * vocab + best[p]] = 5f;
    }
    assertThat(TextMetrics.decodeGreedy(logits, 0, best.length, vocab)).isEqualTo("OK");
  }

  private static byte[] bytes(int... values) {
    byte[] out = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (byte) values[i];
    }
    return out;
  }

  @Test
  void requestedTextsAreFoundAcrossLinesAndAmongOtherText() {
    TextRenderingScore s = TextMetrics.matchTexts(List.of("限时 特惠", "SALE 50%"),
        List.of("新品 限时", "特惠", "BIG SALE 5O% today"), 0.8);
    assertThat(s.texts()).extracting(TextRenderingScore.TextMatch::matched).containsExactly("限时特惠", "SALE5O%");
    assertThat(s.texts().get(0).accuracy()).isEqualTo(1.0);
    // one substitution (O for 0) of 7 characters
    assertThat(s.texts().get(1).accuracy()).isCloseTo(6.0 / 7, within(1e-12));
    assertThat(s.texts().get(1).hitRate()).isCloseTo(6.0 / 7, within(1e-12));
    assertThat(s.accuracy()).isCloseTo(1 - 1.0 / 11, within(1e-12));
    assertThat(s.hitRate()).isCloseTo(10.0 / 11, within(1e-12));
    assertThat(s.available()).isTrue();
    assertThat(TextMetrics.matchTexts(List.of("SALE 50%"), List.of("SA 5"), 0.8).available()).isFalse();
  }

  @Test
  void nfkcAndWhitespaceAreIgnoredOnBothSides() {
    TextRenderingScore s = TextMetrics.matchTexts(List.of("ＡＢＣ　１２３"), List.of("ABC 123"), 1.0);
    assertThat(s.accuracy()).isEqualTo(1.0);
    assertThat(s.available()).isTrue();
  }

  @Test
  void nothingReadScoresZeroAndIsUnavailable() {
    TextRenderingScore s = TextMetrics.matchTexts(List.of("春节快乐"), List.of(), 0.5);
    assertThat(s.accuracy()).isZero();
    assertThat(s.hitRate()).isZero();
    assertThat(s.available()).isFalse();
    assertThat(s.nothingRead()).isTrue();
    assertThat(s.texts()).singleElement().satisfies(m -> assertThat(m.matched()).isEmpty());
  }

  @Test
  void blankRequestsAreLeftOutAndAllBlankIsRefused() {
    assertThat(TextMetrics.matchTexts(List.of(" ", "OK"), List.of("OK"), 1.0).texts()).hasSize(1);
    assertThatThrownBy(() -> TextMetrics.matchTexts(List.of(" ", "\u3000"), List.of("OK"), 1.0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void matchingAgreesWithABruteForceOverEverySubstring() {
    Random random = new Random(7);
    String alphabet = "ab中文1";
    for (int round = 0; round < 300; round++) {
      String t = randomText(random, alphabet, 1 + random.nextInt(6));
      String s = randomText(random, alphabet, random.nextInt(12));
      int[] tc = t.codePoints().toArray();
      int[] sc = s.codePoints().toArray();
      int best = Integer.MAX_VALUE;
      for (int a = 0; a <= sc.length; a++) {
        for (int b = a; b <= sc.length; b++) {
          best = Math.min(best, TextMetrics.levenshtein(tc, Arrays.copyOfRange(sc, a, b)));
        }
      }
      int[] m = TextMetrics.semiGlobal(tc, sc);
      assertThat(m[0]).as("%s in %s", t, s).isEqualTo(best);
      assertThat(TextMetrics.levenshtein(tc, Arrays.copyOfRange(sc, m[2], m[3]))).isEqualTo(best);
      assertThat(m[1]).isBetween(tc.length - best, tc.length);
    }
  }

  private static String randomText(Random random, String alphabet, int length) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      b.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
    }
    return b.toString();
  }
}
