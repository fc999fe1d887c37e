package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GlyphTextsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "a poster with “SALE” in red|SALE",
      "海报上写着「中秋快乐」|中秋快乐",
      "『福』字窗花|福",
      "a sign that reads \"OPEN\" at night|OPEN",
      "红色灯笼，写出春字|春",
      "a mug with the words 50% OFF, on a table|50% OFF",
      "A BANNER WITH THE WORD HELLO|HELLO",
      "a box labelled FRAGILE.|FRAGILE",
      "a shirt that says NO WAY|NO WAY",
      "“SALE” and “SALE” again|SALE",
      "a red circle on a blue background|",
      "一只白色陶瓷杯，白底|",
      "reading glasses on a desk|",
      "a printed invitation|",
  })
  void findsTheLiteralTextsAPromptAsksFor(String prompt, String expected) {
    List<String> want = expected == null ? List.of() : List.of(expected);
    assertThat(GlyphTexts.extract(prompt, 4)).isEqualTo(want);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "“A” “B” “C”|2",
      "“A”，写着福字 with the word SALE|3",
  })
  void keepsOrderAndStopsAtTheLimit(String prompt, int max) {
    List<String> all = GlyphTexts.extract(prompt, 10);
    assertThat(GlyphTexts.extract(prompt, max)).isEqualTo(all.subList(0, Math.min(max, all.size())));
    assertThat(all).hasSizeGreaterThanOrEqualTo(max);
  }
}
