package io.inkflow.inference.text;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Java token counter against the native library it stands in for: they must agree exactly. */
class BertWordLevelCounterTest {

  private static int reference(HuggingFaceTokenizer t, String s) {
    return t.encode(s).getIds().length;
  }

  @Test
  void agreesWithTheLibraryOnPromptsAndOnRandomText() throws IOException {
    PackManifest manifest = PackManifest.read(TestPacks.mmdit());
    Path file = manifest.resolve(manifest.tokenizer().file());
    try (HuggingFaceTokenizer reference = HuggingFaceTokenizer.builder().optTokenizerPath(file)
            .optAddSpecialTokens(true).optTruncation(false).optPadding(false).build();
         PackTokenizer tokenizer = PackTokenizer.open(manifest.tokenizer(), manifest.dir())) {
      assertThat(((HfJsonTokenizer) tokenizer).countsInJava()).isTrue();

      List<String> texts = new ArrayList<>(List.of(
          "青花瓷茶杯，白色背景，产品摄影", "a celadon tea set on a bamboo mat, morning light",
          "用青花瓷风格写出“春”字，作为海报中心元素，背景为古风水墨", "SALE 50% OFF!!!", "Crème brûlée, naïve café",
          "ＳＡＬＥ　５０％", "tab\there\nnew line", "zero\u200Bwidth and \u202Ebidi", "[BOS] literal special", "[unk]"));
      Path catalogue = Path.of("..", "..", "shared", "prompts", "catalog-sample.csv");
      if (Files.exists(catalogue)) {
        texts.addAll(Files.readAllLines(catalogue, StandardCharsets.UTF_8));
      }
      // Random strings over letters, accents, digits, punctuation, CJK, kana, Hangul, full-width forms,
      // whitespace, invisible characters, emoji, and arbitrary code points.
      int[] alphabet = ("abcXYZ éüñÅßİ 0123٣½Ⅻ ,.!?“”「」（）—-_@#%&* 你好春福中秋 ㄅか가ﬁ \t\n\u00A0\u3000\u2003"
          + "\u200B\u202E\u0007\u000B\u000C\u007F\u00AD\u9FFC\u9FFD\u4E00 [] 🎂").codePoints().toArray();
      Random random = new Random(42);
      for (int n = 0; n < 20_000; n++) {
        StringBuilder sb = new StringBuilder();
        int len = random.nextInt(40);
        for (int i = 0; i < len; i++) {
          sb.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
        }
        if (random.nextInt(4) == 0) {
          sb.appendCodePoint(random.nextInt(0x30000));
        }
        texts.add(sb.toString());
      }
      BertWordLevelCounter counter = BertWordLevelCounter.forTokenizer(
          new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile())).orElseThrow();
      int inJava = 0;
      List<String> mismatches = new ArrayList<>();
      for (String text : texts) {
        int expected = reference(reference, text);
        int fast = counter.count(text);
        if (fast >= 0) {
          inJava++;
          if (fast != expected) {
            mismatches.add(text + " -> java " + fast + ", library " + expected);
          }
        }
        // Whichever path it takes, the tokenizer's own count must be the library's.
        assertThat(tokenizer.countTokens(text)).as(text).isEqualTo(expected);
      }
      assertThat(mismatches).isEmpty();
      // Thousands of the random strings took the Java path (the rest hold emoji, bopomofo or arbitrary
      // code points and fell back); ordinary prompts always do; text holding an added token never does.
      assertThat(inJava).isGreaterThan(3000);
      for (String prompt : texts.subList(0, 8)) {
        assertThat(counter.count(prompt)).as(prompt).isPositive();
      }
      assertThat(counter.count("[BOS] literal special")).isEqualTo(-1);
    }
  }
}
