package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.image.PngHeader;
import io.inkflow.inference.image.PngInfo;
import io.inkflow.inference.image.PngText;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BucketsTest {
  private static TextToImagePipeline pipeline;

  @BeforeAll
  static void open() {
    pipeline = TextToImagePipeline.open(TestPacks.mmdit(), SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void close() {
    pipeline.close();
  }

  @ParameterizedTest(name = "{0}x{1}")
  @CsvSource({"256,256", "384,256", "256,384", "512,512"})
  void everyBucketGeneratesPngsOfItsSize(int width, int height) {
    List<GeneratedPng> images = pipeline.generate(List.of(
        ImageRequest.of("a blue square", width, height, 1, 4.5, 11),
        ImageRequest.of("一只红色的猫", width, height, 1, 4.5, 12)));
    for (GeneratedPng image : images) {
      assertThat(image.width()).isEqualTo(width);
      assertThat(image.height()).isEqualTo(height);
      PngInfo info = PngHeader.inspect(image.png());
      assertThat(info).isEqualTo(new PngInfo(width, height, 8, 2, false));
      RgbImage decoded = PngDecoder.decode(image.png(), (long) width * height);
      assertThat(decoded.width()).isEqualTo(width);
      assertThat(decoded.height()).isEqualTo(height);
      // not a flat image: random weights still give structure across the frame
      assertThat(distinctLevels(decoded)).isGreaterThan(50);
    }
  }

  @Test
  void generationParametersTravelInTheFileInUtf8() {
    ImageRequest request = ImageRequest.of("中秋快乐 月饼礼盒, studio photo", 256, 256, 2, 4.5, 99)
        .withNegativePrompt("模糊").withGlyphTexts(List.of("中秋", "50% OFF"))
        .withMetadata(Map.of("job_id", "req-7-0"));
    GeneratedPng png = pipeline.generate(List.of(request)).get(0);
    Map<String, String> text = PngText.read(png.png());
    assertThat(text).containsExactly(
        Map.entry("prompt", "中秋快乐 月饼礼盒, studio photo"),
        Map.entry("negative_prompt", "模糊"),
        Map.entry("glyph_texts", "[\"中秋\",\"50% OFF\"]"),
        Map.entry("width", "256"),
        Map.entry("height", "256"),
        Map.entry("steps", "2"),
        Map.entry("guidance_scale", "4.5"),
        Map.entry("seed", "99"),
        Map.entry("scheduler", "flow-match-euler shift=3.0"),
        Map.entry("model", "tiny-mmdit-flow 0.1.0"),
        Map.entry("job_id", "req-7-0"));
    assertThat(png.timings().png()).isPositive();
    assertThat(png.timings().steps()).hasSize(2);
  }

  @Test
  void batchesThatBreakTheRulesAreRefused() {
    assertThatThrownBy(() -> pipeline.render(List.of()))
        .hasMessage("expected at least one request, found an empty batch");
    assertThatThrownBy(() -> pipeline.render(List.of(ImageRequest.of("x", 300, 300, 2, 4.5, 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("expected a bucket of pack tiny-mmdit-flow [256x256, 384x384")
        .hasMessageEndingWith("found 300x300");
    assertThatThrownBy(() -> pipeline.render(List.of(ImageRequest.of("x", 256, 256, 2, 4.5, 1),
        ImageRequest.of("x", 384, 256, 2, 4.5, 1))))
        .hasMessage("expected every request of a batch to share size and steps (256x256, 2 steps), found "
            + "384x256, 2 steps");
    assertThatThrownBy(() -> pipeline.render(List.of(ImageRequest.of("x", 256, 256, 51, 4.5, 1))))
        .hasMessage("expected steps in [1, 50] for pack tiny-mmdit-flow, found 51");
    assertThatThrownBy(() -> pipeline.render(List.of(ImageRequest.of("x", 256, 256, 2, 25, 1))))
        .hasMessage("expected guidance in [0, 20.0] for pack tiny-mmdit-flow, found 25.0");
    assertThatThrownBy(() -> ImageRequest.of("x", 256, 256, 2, 4.5, 1).withMetadata(Map.of("seed", "1")))
        .hasMessageContaining("metadata key 'seed' is reserved");
    assertThatThrownBy(() -> ImageRequest.of("x", 256, 256, 2, 4.5, 1).withMetadata(Map.of("bad\nkey", "1")))
        .hasMessageContaining("expected a PNG keyword");
    java.util.Map<String, String> nullValue = new java.util.HashMap<>();
    nullValue.put("job_id", null);
    assertThatThrownBy(() -> ImageRequest.of("x", 256, 256, 2, 4.5, 1).withMetadata(nullValue))
        .hasMessage("expected a value for metadata key 'job_id', found null");
  }

  private static long distinctLevels(RgbImage image) {
    boolean[] seen = new boolean[256];
    for (byte b : image.rgb()) {
      seen[b & 0xFF] = true;
    }
    long n = 0;
    for (boolean s : seen) {
      n += s ? 1 : 0;
    }
    return n;
  }
}
