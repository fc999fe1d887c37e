package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.avro.Language;
import java.util.List;
import org.junit.jupiter.api.Test;

class PromptTextTest {

  @Test
  void cleansInvisibleCharactersAndRecordsWhatItRemoved() {
    PromptText.Cleaned c = PromptText.clean("  a red\u200B circle\u202E on\u0007 blue  ", "prompt", PromptText.Policy.STRIP);
    assertThat(c.text()).isEqualTo("a red circle on blue");
    assertThat(c.changes()).containsExactlyInAnyOrder(PromptText.STRIPPED_ZERO_WIDTH, PromptText.STRIPPED_BIDI,
        PromptText.STRIPPED_CONTROL, PromptText.WHITESPACE_COLLAPSED);
  }

  @Test
  void normalisesFullWidthFormsWithNfkc() {
    PromptText.Cleaned c = PromptText.clean("ＳＡＬＥ　５０％", "prompt", PromptText.Policy.STRIP);
    assertThat(c.text()).isEqualTo("SALE 50%");
    assertThat(c.changes()).contains(PromptText.NFKC_CHANGED);
  }

  @Test
  void cleanTextIsLeftAloneAndChineseSurvives() {
    PromptText.Cleaned c = PromptText.clean("青花瓷茶杯。白色背景 “春”", "prompt", PromptText.Policy.STRIP);
    assertThat(c.text()).isEqualTo("青花瓷茶杯。白色背景 “春”");
    assertThat(c.changes()).isEmpty();
    // NFKC folds full-width forms, the Chinese comma among them; the characters themselves stay.
    assertThat(PromptText.clean("茶杯，白色", "prompt", PromptText.Policy.STRIP).text()).isEqualTo("茶杯,白色");
  }

  @Test
  void newlinesSeparateWords() {
    assertThat(PromptText.clean("red\ncircle", "prompt", PromptText.Policy.STRIP).text()).isEqualTo("red circle");
  }

  @Test
  void refusesLoneSurrogatesAlwaysAndInvisiblesUnderRefuse() {
    assertThatThrownBy(() -> PromptText.clean("bad \uD800 text", "prompt", PromptText.Policy.STRIP))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.reason()).isEqualTo(RejectReason.INVALID_CHARACTERS))
        .hasMessageContaining("lone surrogate U+D800");
    assertThatThrownBy(() -> PromptText.clean("a\u202Eb", "prompt", PromptText.Policy.REFUSE))
        .isInstanceOfSatisfying(Rejection.class, r -> assertThat(r.reason()).isEqualTo(RejectReason.INVALID_CHARACTERS))
        .hasMessageContaining("U+202E");
    // A valid surrogate pair (an emoji) is fine.
    assertThat(PromptText.clean("cake 🎂", "prompt", PromptText.Policy.REFUSE).text()).isEqualTo("cake 🎂");
  }

  @Test
  void detectsLanguageByScript() {
    assertThat(ScriptLanguage.detect("青花瓷茶杯，白色背景，产品摄影")).isEqualTo(Language.ZH);
    assertThat(ScriptLanguage.detect("a celadon tea set on a bamboo mat")).isEqualTo(Language.EN);
    assertThat(ScriptLanguage.detect("一双 white running shoes 在 studio 里")).isEqualTo(Language.MIXED);
    assertThat(ScriptLanguage.detect("12345 !!!")).isEqualTo(Language.UNKNOWN);
  }

  @Test
  void extractsLiteralTextsToDraw() {
    assertThat(GlyphTexts.extract("用青花瓷风格写出“春”字，作为海报中心元素", 4)).containsExactly("春");
    assertThat(GlyphTexts.extract("红色背景上写出福字", 4)).containsExactly("福");
    assertThat(GlyphTexts.extract("中秋海报，「中秋快乐」，月亮", 4)).containsExactly("中秋快乐");
    assertThat(GlyphTexts.extract("a shop sign with the words 50% OFF, red background", 4)).containsExactly("50% OFF");
    assertThat(GlyphTexts.extract("a banner that says SALE", 4)).containsExactly("SALE");
    assertThat(GlyphTexts.extract("a mug printed with \"Good Morning\" and “早安”", 4)).containsExactly("Good Morning", "早安");
    assertThat(GlyphTexts.extract("white running shoe, side view", 4)).isEmpty();
    assertThat(GlyphTexts.extract("“a” “b” “c”", 2)).isEqualTo(List.of("a", "b"));
  }

  /**
   * Random text over ASCII (controls included), CJK (the edges of the fast range too), full-width and
   * invisible characters, emoji and combining marks: the cleaning and the language must be what the
   * Unicode tables alone give, code point by code point.
   */
  @Test
  void fastPathsAgreeWithTheUnicodeTables() {
    int[] alphabet = ("aZ09 ,.!~\t\n\r\u000B\u007F\u0000 你好春\u4E00\u9FFC\u9FFD\u3400 ，。ＳＡ５　"
        + "\u200B\u202E\u00AD\uFFFD é\u0301 ﬁ 🎂 가か").codePoints().toArray();
    java.util.Random random = new java.util.Random(5);
    for (int n = 0; n < 20_000; n++) {
      StringBuilder sb = new StringBuilder();
      for (int k = random.nextInt(30); k > 0; k--) {
        sb.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
      }
      String raw = sb.toString();
      String nfkc = java.text.Normalizer.normalize(raw, java.text.Normalizer.Form.NFKC);
      assertThat(PromptText.clean(raw, "prompt", PromptText.Policy.STRIP).text()).as(raw).isEqualTo(referenceClean(nfkc));
      assertThat(ScriptLanguage.detect(raw)).as(raw).isEqualTo(referenceLanguage(raw));
    }
  }

  /** The cleaning loop with a table lookup for every code point. */
  private static String referenceClean(String nfkc) {
    StringBuilder out = new StringBuilder();
    boolean pendingSpace = false;
    for (int i = 0; i < nfkc.length(); ) {
      int cp = nfkc.codePointAt(i);
      i += Character.charCount(cp);
      String removed = PromptText.classify(cp);
      if (removed != null) {
        pendingSpace |= removed.equals(PromptText.STRIPPED_CONTROL) && out.length() > 0;
        continue;
      }
      if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        pendingSpace |= out.length() > 0;
        continue;
      }
      if (pendingSpace) {
        out.append(' ');
        pendingSpace = false;
      }
      out.appendCodePoint(cp);
    }
    return out.toString();
  }

  private static Language referenceLanguage(String text) {
    int han = 0;
    int latinWords = 0;
    boolean inWord = false;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      Character.UnicodeScript script = Character.UnicodeScript.of(cp);
      boolean latin = script == Character.UnicodeScript.LATIN && Character.isLetter(cp);
      han += script == Character.UnicodeScript.HAN ? 1 : 0;
      latinWords += latin && !inWord ? 1 : 0;
      inWord = latin;
    }
    if (han == 0 && latinWords == 0) {
      return Language.UNKNOWN;
    }
    double zhShare = han / (double) (han + latinWords);
    return zhShare >= 0.8 ? Language.ZH : zhShare <= 0.2 ? Language.EN : Language.MIXED;
  }
}
