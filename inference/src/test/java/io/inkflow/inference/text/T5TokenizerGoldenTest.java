package io.inkflow.inference.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.text.T5Tokenizer.Source;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every case SentencePiece computed, through tokenizer.json and through spiece.model, in both exports. */
class T5TokenizerGoldenTest {
  static List<T5Fixtures.Case> sd3Cases;
  static List<T5Fixtures.Case> fluxCases;
  static T5Tokenizer sd3Json;
  static T5Tokenizer sd3Spiece;
  static T5Tokenizer fluxJson;
  static T5Tokenizer fluxSpiece;

  @BeforeAll
  static void open() {
    sd3Cases = T5Fixtures.cases(T5Fixtures.sd3());
    fluxCases = T5Fixtures.cases(T5Fixtures.flux());
    sd3Json = T5Tokenizer.open(T5Fixtures.sd3(), Source.TOKENIZER_JSON);
    sd3Spiece = T5Tokenizer.open(T5Fixtures.sd3(), Source.SENTENCEPIECE);
    fluxJson = T5Tokenizer.open(T5Fixtures.flux(), Source.TOKENIZER_JSON);
    fluxSpiece = T5Tokenizer.open(T5Fixtures.flux(), Source.SENTENCEPIECE);
  }

  @AfterAll
  static void close() {
    for (T5Tokenizer t : new T5Tokenizer[] {sd3Json, sd3Spiece, fluxJson, fluxSpiece}) {
      if (t != null) {
        t.close();
      }
    }
  }

  @Test
  void openPrefersTokenizerJson() {
    for (Path dir : List.of(T5Fixtures.sd3(), T5Fixtures.flux())) {
      try (T5Tokenizer t = T5Tokenizer.open(dir)) {
        assertThat(t.source()).isEqualTo(Source.TOKENIZER_JSON);
      }
    }
  }

  @Test
  void everyCaseThroughBothFiles() {
    assertThat(sd3Cases).hasSizeGreaterThanOrEqualTo(5);
    assertThat(fluxCases).hasSizeGreaterThanOrEqualTo(5);
    assertCases(sd3Cases, sd3Json, sd3Spiece);
    assertCases(fluxCases, fluxJson, fluxSpiece);
  }

  private static void assertCases(List<T5Fixtures.Case> cases, T5Tokenizer... tokenizers) {
    for (T5Fixtures.Case c : cases) {
      for (T5Tokenizer t : tokenizers) {
        assertThat(t.encode(c.text())).as("%s: %s", t.source(), c.text()).containsExactly(c.ids());
        assertThat(t.countTokens(c.text())).as(c.text()).isEqualTo(c.ids().length);
      }
    }
  }

  /**
   * Text that spells a special token is that token through tokenizer.json, as in transformers, and plain text through
   * spiece.model, as in SentencePiece (and in the cases, which SentencePiece computed).
   */
  @Test
  void specialTokenTextIsTheTokenOnlyThroughTokenizerJson() {
    assertThat(sd3Json.encode("a </s>")).endsWith(1, 1);
    assertThat(sd3Json.encode("<extra_id_0>")).containsExactly(sd3Json.vocabSize() - 1, 1);
    assertThat(sd3Spiece.encode("a </s>")).hasSizeGreaterThan(3).doesNotContain(sd3Json.vocabSize() - 1);
    assertThat(sd3Spiece.encode("<extra_id_0>").length).isGreaterThan(2);
  }

  @Test
  void specialIdsAndSizesAgree() {
    for (T5Tokenizer t : new T5Tokenizer[] {sd3Json, sd3Spiece, fluxJson, fluxSpiece}) {
      assertThat(t.eosId()).isEqualTo(1);
      assertThat(t.padId()).isZero();
      assertThat(t.vocabSize()).isGreaterThan(3);
    }
    // tokenizer.json also holds the 100 <extra_id_N> sentinels after the pieces.
    assertThat(sd3Json.vocabSize()).isEqualTo(sd3Spiece.vocabSize() + 100);
  }
}
