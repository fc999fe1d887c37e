package io.inkflow.catalogue;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RewriteMode;
import java.io.StringReader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class CatalogueTest {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  @Test
  void readsTheSampleCatalogue() throws Exception {
    Catalogue.Result r = Catalogue.read(Path.of("..", "examples", "catalog-sample.csv"), Catalogue.Format.CSV, "sample", "sku", NOW);
    assertThat(r.problems()).isEmpty();
    assertThat(r.requests()).hasSizeGreaterThanOrEqualTo(10);
    PromptRequest first = r.requests().get(0);
    assertThat(first.getRequestId()).isEqualTo("sample.TEA-001");
    assertThat(first.getBatchId()).isEqualTo("sample");
    assertThat(first.getPrompt()).isEqualTo("青花瓷茶杯，白色背景，产品摄影");
    assertThat(first.getWidth()).isEqualTo(512);
    assertThat(first.getNumImages()).isEqualTo(4);
    assertThat(first.getTags()).containsEntry("sku", "TEA-001").containsEntry("category", "tableware");
    assertThat(first.getRenderText()).isNull();
    PromptRequest poster = r.requests().stream().filter(q -> q.getTags().get("sku").equals("TEA-003")).findFirst().orElseThrow();
    assertThat(poster.getRenderText()).containsExactly("春");
    assertThat(poster.getHeight()).isEqualTo(768);
  }

  @Test
  void reportsMalformedRowsAndDuplicateKeysWithLineNumbers() throws Exception {
    String csv = """
        sku,prompt,width,height,num_images,render_text,rewrite,category
        A-1,a red circle,256,256,2,,off,toys
        A-2,"a blue square, studio light",256,abc,1,,,toys
        A-1,a duplicate,256,256,1,,,toys
        ,no key,256,256,1,,,toys
        A-3,,256,256,1,,,toys
        A-4,"poster with words",512,768,1,SALE|50% OFF,,poster
        A-5,too,many,columns,here,1,2,3,4
        """;
    Catalogue.Result r = Catalogue.read(new StringReader(csv), Catalogue.Format.CSV, "b", "sku", NOW);
    assertThat(r.requests()).extracting(PromptRequest::getRequestId).containsExactly("b.A-1", "b.A-4");
    assertThat(r.requests().get(0).getRewriteMode()).isEqualTo(RewriteMode.OFF);
    assertThat(r.requests().get(1).getRenderText()).containsExactly("SALE", "50% OFF");
    assertThat(r.problems()).extracting(Catalogue.Problem::toString).containsExactly(
        "line 3: INVALID_FIELD: height 'abc': expected an integer; row skipped",
        "line 4: DUPLICATE_KEY: duplicate key 'A-1' (first on line 2); row skipped",
        "line 5: MISSING_KEY: no value in key column 'sku'; row skipped",
        "line 6: INVALID_FIELD: empty prompt; row skipped",
        "line 8: MALFORMED_ROW: expected 8 columns, found 9; row skipped");
  }

  @Test
  void readsJsonLinesAndKeepsUnknownFieldsAsTags() throws Exception {
    String jsonl = """
        {"sku": "J-1", "prompt": "中秋海报", "render_text": ["中秋快乐"], "aspect": "2:3", "seed": 7, "campaign": "autumn"}
        not json
        [1, 2]

        {"sku": "J-2", "prompt": "a mug", "guidance": 5.5, "language": "en"}
        """;
    Catalogue.Result r = Catalogue.read(new StringReader(jsonl), Catalogue.Format.JSONL, "j", "sku", NOW);
    assertThat(r.requests()).hasSize(2);
    PromptRequest first = r.requests().get(0);
    assertThat(first.getRenderText()).isEqualTo(List.of("中秋快乐"));
    assertThat(first.getAspect()).isEqualTo("2:3");
    assertThat(first.getSeed()).isEqualTo(7L);
    assertThat(first.getTags()).containsEntry("campaign", "autumn");
    assertThat(r.requests().get(1).getGuidanceScale()).isEqualTo(5.5f);
    assertThat(r.problems()).extracting(Catalogue.Problem::line).containsExactly(2L, 3L);
  }

  @Test
  void aRowThatCannotBeSentAsItIsIsReportedWithItsLineNotSentWithAQuestionMark() throws Exception {
    // JSON escapes can spell an unpaired UTF-16 surrogate; the serializer would refuse the row later.
    String jsonl = """
        {"sku": "U-1", "prompt": "a cat \\ud83d"}
        {"sku": "U-2", "prompt": "a cat \\ud83d\\udc31"}
        {"sku": "U-3", "prompt": "ok", "note": "\\udc00"}
        """;
    Catalogue.Result r = Catalogue.read(new StringReader(jsonl), Catalogue.Format.JSONL, "u", "sku", NOW);
    assertThat(r.requests()).extracting(PromptRequest::getPrompt).containsExactly("a cat 🐱");
    assertThat(r.entries()).extracting(Catalogue.Entry::line).containsExactly(2L);
    assertThat(r.problems()).extracting(Object::toString).containsExactly(
        "line 1: NOT_WRITABLE: cannot write io.inkflow.avro.PromptRequest: field prompt: unpaired UTF-16 surrogate U+D83D at char 6 of 7;"
            + " expected valid Unicode text; row skipped",
        "line 3: NOT_WRITABLE: cannot write io.inkflow.avro.PromptRequest: field tags: unpaired UTF-16 surrogate U+DC00 at char 0 of 1;"
            + " expected valid Unicode text; row skipped");
  }

  @Test
  void requestIdsAreDeterministicSafeAndDistinct() {
    assertThat(RequestIds.of("b", "SKU-1")).isEqualTo("b.SKU-1").isEqualTo(RequestIds.of("b", "SKU-1"));
    String cjk = RequestIds.of("b", "茶杯/01");
    assertThat(cjk).matches("[A-Za-z0-9._-]+").doesNotContain("..").isNotEqualTo(RequestIds.of("b", "茶杯/02"));
    assertThat(RequestIds.of("b", "../x")).matches("[A-Za-z0-9._-]+").doesNotContain("..");
    String longId = RequestIds.of("b", "k".repeat(300));
    assertThat(longId).hasSizeLessThanOrEqualTo(128).isNotEqualTo(RequestIds.of("b", "k".repeat(299)));
    assertThat(RequestIds.batchId("catalog sample (v2)")).isEqualTo("catalog_sample_v2");
  }
}
