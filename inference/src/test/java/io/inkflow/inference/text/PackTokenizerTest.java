package io.inkflow.inference.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.TokenizerSpec;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackTokenizerTest {

  @Test
  void countsTokensFromTheManifestWithoutAnySession() {
    int sessions = GraphSession.liveSessions();
    PackManifest manifest = PackManifest.read(TestPacks.mmdit());
    try (PackTokenizer tokenizer = PackTokenizer.open(manifest.tokenizer(), manifest.dir())) {
      // [BOS] a red circle on a blue background -> 1 + 7
      assertThat(tokenizer.countTokens("a red circle on a blue background")).isEqualTo(8);
      // CJK characters are one token each, punctuation is split off: [BOS] 红 色 圆 形 ，
      assertThat(tokenizer.countTokens("红色圆形，")).isEqualTo(6);
      // digits are split one by one: [BOS] 5 0 % off
      assertThat(tokenizer.countTokens("50% OFF")).isEqualTo(5);
      assertThat(tokenizer.countTokens("")).isEqualTo(1);
      assertThat(tokenizer.maxLength()).isEqualTo(64);
    }
    assertThat(GraphSession.liveSessions()).isEqualTo(sessions);
  }

  @Test
  void matchesThePythonTokenizerIdsForEveryGoldenPrompt() {
    PackManifest manifest = PackManifest.read(TestPacks.mmdit());
    JsonNode cases = Golden.of(TestPacks.mmdit()).index().get("tokenizer");
    assertThat(cases.size()).isGreaterThanOrEqualTo(5);
    try (PackTokenizer tokenizer = PackTokenizer.open(manifest.tokenizer(), manifest.dir())) {
      for (JsonNode c : cases) {
        List<Long> expected = new ArrayList<>();
        c.get("ids").forEach(id -> expected.add(id.asLong()));
        assertThat(tokenizer.encode(c.get("text").asText())).as(c.get("text").asText())
            .containsExactly(expected.stream().mapToLong(Long::longValue).toArray());
      }
    }
  }

  @Test
  void padsAndTruncatesToTheEncoderLength() {
    try (PackTokenizer tokenizer = PackTokenizer.open(new TokenizerSpec(TokenizerSpec.Type.UTF8_BYTES, null, 4, 0),
        Path.of("."))) {
      PaddedIds ids = tokenizer.encodeBatch(List.of("ab", "abcdef"));
      // "ab" -> 97+3, 98+3, eos, pad; "abcdef" is cut at 4
      assertThat(ids.ids()).containsExactly(100, 101, 1, 0, 100, 101, 102, 103);
      assertThat(ids.mask()).containsExactly(1, 1, 1, 0, 1, 1, 1, 1);
      assertThat(tokenizer.countTokens("abcdef")).isEqualTo(7);
      assertThat(tokenizer.countTokens("中")).isEqualTo(4);
    }
  }

  @Test
  void glyphTextsAreUtf8BytesPlusThreeSeparatedByEos() {
    GlyphTokenizer glyphs = new GlyphTokenizer(8);
    PaddedIds ids = glyphs.encodeBatch(List.of(List.of("A", "福"), List.of()));
    // A = 0x41 -> 68, eos, 福 = e7 a6 8f -> 234 169 146, eos, pad...
    assertThat(ids.ids()).containsExactly(68, 1, 234, 169, 146, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    assertThat(ids.mask()).containsExactly(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    assertThat(GlyphTokenizer.length(List.of("A", "福"))).isEqualTo(6);
  }

  @Test
  void isSafeToShareBetweenThreads() throws Exception {
    PackManifest manifest = PackManifest.read(TestPacks.mmdit());
    try (PackTokenizer tokenizer = PackTokenizer.open(manifest.tokenizer(), manifest.dir())) {
      long[] expected = tokenizer.encode("中秋快乐 月饼 礼盒 photo, studio lighting");
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<long[]>> results = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          results.add(pool.submit(() -> tokenizer.encode("中秋快乐 月饼 礼盒 photo, studio lighting")));
        }
        for (Future<long[]> f : results) {
          assertThat(f.get()).containsExactly(expected);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aMissingTokenizerFileIsAPackError(@TempDir Path dir) {
    assertThatThrownBy(() -> PackTokenizer.open(
        new TokenizerSpec(TokenizerSpec.Type.HF_TOKENIZER_JSON, "tokenizer.json", 64, 0), dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("tokenizer file not found");
  }
}
