package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.testing.Tolerance;
import io.inkflow.inference.text.GlyphTokenizer;
import io.inkflow.inference.text.PackTokenizer;
import io.inkflow.inference.text.PaddedIds;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole pipeline from Java against the Python reference sampler
 * ({@code scripts/models/inkflow_models/sampler.py}) on the same pack, for the tiny random pack and
 * the trained mini pack: token ids, glyph ids and noise must match exactly (noise within 1e-6), final
 * latents within 1e-3 + 1e-3 * |expected| (per-graph differences of ~1e-6 compound over the steps and
 * the guidance scale), and pixels within 2 levels of 255.
 */
class PipelineGoldenTest {
  private static final Map<Path, TextToImagePipeline> PIPELINES = new LinkedHashMap<>();

  @BeforeAll
  static void open() {
    for (Path pack : List.of(TestPacks.mmdit(), TestPacks.miniMmdit())) {
      PIPELINES.put(pack, TextToImagePipeline.open(pack, SessionOptionsConfig.cpu()));
    }
  }

  @AfterAll
  static void close() {
    PIPELINES.values().forEach(TextToImagePipeline::close);
    PIPELINES.clear();
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Path pack : List.of(TestPacks.mmdit(), TestPacks.miniMmdit())) {
      Golden golden = Golden.of(pack);
      golden.index().get("pipeline").forEach(c -> out.add(
          Arguments.of(pack.getFileName() + "/" + c.get("name").asText(), pack, golden, c)));
    }
    return out.stream();
  }

  private static Map<String, Golden.Tensor> tensors(Golden golden, JsonNode c) {
    Map<String, Golden.Tensor> out = new HashMap<>();
    for (JsonNode t : c.get("tensors")) {
      out.put(t.get("name").asText(), golden.tensor(t));
    }
    return out;
  }

  private static ImageRequest request(JsonNode c) {
    List<String> glyphs = new ArrayList<>();
    c.get("glyphTexts").forEach(g -> glyphs.add(g.asText()));
    return ImageRequest.of(c.get("prompt").asText(), c.get("width").asInt(), c.get("height").asInt(),
        c.get("steps").asInt(), c.get("guidance").asDouble(), c.get("seed").asLong())
        .withNegativePrompt(c.get("negativePrompt").asText())
        .withGlyphTexts(glyphs);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void inputsMatchTheReference(String name, Path pack, Golden golden, JsonNode c) {
    TextToImagePipeline pipeline = PIPELINES.get(pack);
    Map<String, Golden.Tensor> expected = tensors(golden, c);
    ImageRequest r = request(c);
    try (PackTokenizer tokenizer = PackTokenizer.open(pipeline.manifest().tokenizer(), pipeline.manifest().dir())) {
      PaddedIds ids = tokenizer.encodeBatch(List.of(r.prompt(), r.negativeText()));
      assertThat(ids.ids()).containsExactly(expected.get("input_ids").longs());
      assertThat(ids.mask()).containsExactly(expected.get("attention_mask").longs());
    }
    PaddedIds glyphs = new GlyphTokenizer(pipeline.manifest().glyphMaxLength())
        .encodeBatch(List.of(r.glyphTexts(), List.of()));
    assertThat(glyphs.ids()).containsExactly(expected.get("glyph_ids").longs());
    assertThat(glyphs.mask()).containsExactly(expected.get("glyph_mask").longs());
    float[] noise = expected.get("noise").floats();
    Tolerance.assertClose("noise", LatentNoise.gaussian(r.seed(), noise.length), noise, 1e-6, 0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void latentsAndPixelsMatchTheReference(String name, Path pack, Golden golden, JsonNode c) throws Exception {
    TextToImagePipeline pipeline = PIPELINES.get(pack);
    Map<String, Golden.Tensor> expected = tensors(golden, c);
    ImageRequest r = request(c);
    TextToImagePipeline.Sampled sampled = pipeline.sampleLatents(List.of(r), pipeline.validate(List.of(r)));
    Tolerance.assertClose("latents", sampled.latents(), expected.get("latents").floats(), 1e-3, 1e-3);

    RgbImage image = pipeline.render(List.of(r)).get(0).image();
    byte[] pixels = expected.get("pixels").bytes();
    assertThat(image.width()).isEqualTo(r.width());
    assertThat(image.height()).isEqualTo(r.height());
    int worst = 0;
    int exact = 0;
    for (int i = 0; i < pixels.length; i++) {
      int diff = Math.abs((image.rgb()[i] & 0xFF) - (pixels[i] & 0xFF));
      worst = Math.max(worst, diff);
      exact += diff == 0 ? 1 : 0;
    }
    assertThat(worst).as("largest pixel difference").isLessThanOrEqualTo(2);
    assertThat((double) exact / pixels.length).as("share of identical levels").isGreaterThan(0.99);
  }
}
