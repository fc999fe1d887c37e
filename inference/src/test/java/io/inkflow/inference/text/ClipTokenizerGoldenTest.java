package io.inkflow.inference.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every case OpenAI's tokenizer computed, through each file layout a Stable Diffusion export may ship. */
class ClipTokenizerGoldenTest {
  @TempDir
  static Path tmp;

  static JsonNode cases;
  /** SD 1.x: pad_token "<|endoftext|>". */
  static ClipTokenizer sd15;
  /** SD 2.x and SDXL's tokenizer_2: pad_token "!". */
  static ClipTokenizer sd2;

  @BeforeAll
  static void build() {
    cases = ClipReference.cases();
    sd15 = ClipTokenizer.open(ClipReference.writeHfFolder(tmp.resolve("sd15"), "<|endoftext|>"));
    sd2 = ClipTokenizer.open(ClipReference.writeHfFolder(tmp.resolve("sd2"), "!"));
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  @Test
  void theReferenceHasTheDocumentedCases() {
    assertThat(cases.path("sot").asInt()).isEqualTo(49406);
    assertThat(cases.path("eot").asInt()).isEqualTo(49407);
    assertThat(cases.path("context_length").asInt()).isEqualTo(77);
    List<String> texts = new ArrayList<>();
    cases.path("cases").forEach(c -> texts.add(c.path("text").asText()));
    assertThat(texts).contains("a photo of a cat", "中秋节海报", "SALE 50% OFF", "");
  }

  @Test
  void slowTokenizerFilesGiveOpenAiIds() {
    assertThat(sd15.vocabSize()).isEqualTo(cases.path("vocab_size").asInt());
    assertThat(sd15.startId()).isEqualTo(49406);
    assertThat(sd15.endId()).isEqualTo(49407);
    assertThat(sd15.padId()).isEqualTo(49407);
    assertThat(sd2.padId()).isZero();
    assertThat(sd15.maxLength()).isEqualTo(77);
    assertAllCases(sd15, sd2);
  }

  @Test
  void tokenizerJsonGivesOpenAiIds() {
    for (boolean pairs : new boolean[] {false, true}) {
      ClipTokenizer fast15 = ClipTokenizer.open(
          ClipReference.writeTokenizerJson(tmp.resolve("fast15-" + pairs), "<|endoftext|>", pairs));
      ClipTokenizer fast2 = ClipTokenizer.open(ClipReference.writeTokenizerJson(tmp.resolve("fast2-" + pairs), "!", pairs));
      assertThat(fast15.padId()).isEqualTo(49407);
      assertThat(fast2.padId()).isZero();
      assertThat(fast15.vocabSize()).isEqualTo(49408);
      assertAllCases(fast15, fast2);
    }
  }

  private static void assertAllCases(ClipTokenizer padEot, ClipTokenizer padZero) {
    int checked = 0;
    for (JsonNode c : cases.path("cases")) {
      String text = c.path("text").asText();
      assertThat(padEot.encode(text)).as(text).containsExactly(ints(c.path("bpe_ids")));
      assertThat(padEot.countTokens(text)).as(text).isEqualTo(c.path("bpe_ids").size());

      ClipTokenizer.Encoded sd15Form = padEot.encodePadded(text);
      assertThat(sd15Form.ids()).as(text).containsExactly(ints(c.path("ctx77_pad49407_hf_sd15")));
      ClipTokenizer.Encoded zeroForm = padZero.encodePadded(text);
      assertThat(zeroForm.ids()).as(text).containsExactly(ints(c.path("ctx77_pad0_openai_clip_tokenize")));

      int withSpecials = c.path("ids_with_sot_eot").size();
      for (ClipTokenizer.Encoded e : List.of(sd15Form, zeroForm)) {
        assertThat(e.eotIndex()).as(text).isEqualTo(withSpecials - 1);
        assertThat(e.contentTokens()).isEqualTo(withSpecials - 2);
        assertThat(e.truncated()).isFalse();
        assertThat(e.attentionMask()).hasSize(77);
        for (int i = 0; i < 77; i++) {
          assertThat(e.attentionMask()[i]).as(text + " mask at " + i).isEqualTo(i < withSpecials ? 1 : 0);
        }
      }
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(6);
  }
}
