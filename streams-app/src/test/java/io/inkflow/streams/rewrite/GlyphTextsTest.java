package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
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

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "\"\" then \"A\"|then",
      "“unclosed and “closed”|unclosed and “closed",
      "「  」 blank, then 「x」|x",
      "\"a\"b\"c\"|a, c",
  })
  void quotationsPairUpFromTheLeft(String prompt, String expected) {
    assertThat(GlyphTexts.extract(prompt, 10)).isEqualTo(List.of(expected.split(", ")));
  }

  /** The quotation rule as a regular expression: the scanner must find exactly what it finds. */
  private static final Pattern QUOTED = Pattern.compile("“([^”]{1,64})”|「([^」]{1,64})」|『([^』]{1,64})』|\"([^\"]{1,64})\"");

  @Test
  void theQuotationScannerAgreesWithTheRegularExpression() {
    Random random = new Random(11);
    String[] pieces = {"“", "”", "「", "」", "『", "』", "\"", " ", "a", "SALE", "春", "福字", "𠀀", "x".repeat(30), "中".repeat(40), "\n"};
    int withQuotes = 0;
    for (int n = 0; n < 20_000; n++) {
      StringBuilder prompt = new StringBuilder();
      for (int k = random.nextInt(12); k > 0; k--) {
        prompt.append(pieces[random.nextInt(pieces.length)]);
      }
      String p = prompt.toString();
      Set<String> expected = new LinkedHashSet<>();
      Matcher q = QUOTED.matcher(p);
      while (q.find()) {
        for (int g = 1; g <= q.groupCount(); g++) {
          if (q.group(g) != null && !q.group(g).isBlank()) {
            expected.add(q.group(g).strip());
          }
        }
      }
      Set<String> found = new LinkedHashSet<>();
      assertThat(GlyphTexts.unquote(p, found)).as(p).isEqualTo(QUOTED.matcher(p).replaceAll(" "));
      assertThat(found).as(p).containsExactlyElementsOf(expected);
      withQuotes += expected.isEmpty() ? 0 : 1;
    }
    assertThat(withQuotes).isGreaterThan(2_000);
  }
}
