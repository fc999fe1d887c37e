package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An image depends only on its own request: same request, same PNG bytes; a batch gives the bytes
 * of single runs; and a batch is sampled with one transformer call per step over all its rows.
 */
class DeterminismTest {
  private static CountingDenoiser counter;
  private static TextToImagePipeline pipeline;

  private static final List<ImageRequest> BATCH = List.of(
      ImageRequest.of("a red circle on the left of a blue background", 256, 256, 3, 4.5, 1)
          .withNegativePrompt("blurry, low quality").withGlyphTexts(List.of("SALE")),
      ImageRequest.of("蓝色背景左侧有一个红色圆形，写着“福”", 256, 256, 3, 4.5, 2).withGlyphTexts(List.of("福")),
      ImageRequest.of("a red circle on the left of a blue background", 256, 256, 3, 1.0, 3),
      ImageRequest.of("premium coffee mug, studio lighting", 256, 256, 3, 7.0, 4)
          .withMetadata(Map.of("job_id", "req-1-3", "batch_id", "b-1")));

  @BeforeAll
  static void open() {
    pipeline = TextToImagePipeline.open(TestPacks.mmdit(), SessionOptionsConfig.cpu(), d -> {
      counter = new CountingDenoiser(d);
      return counter;
    });
  }

  @AfterAll
  static void close() {
    pipeline.close();
  }

  @Test
  void aBatchOfFourGivesTheBytesOfFourSingleRunsWithOneTransformerCallPerStep() {
    counter.reset();
    List<GeneratedPng> batch = pipeline.generate(BATCH);
    // 3 steps, each one call over 4 cond + 4 uncond rows: a loop of single images cannot pass.
    assertThat(counter.callRows()).containsExactly(8, 8, 8);
    assertThat(batch).hasSize(4);
    for (int i = 0; i < BATCH.size(); i++) {
      counter.reset();
      GeneratedPng single = pipeline.generate(List.of(BATCH.get(i))).get(0);
      // a lone image always runs with an uncond row (see TextToImagePipeline): 2 rows per step
      assertThat(counter.callRows()).containsExactly(2, 2, 2);
      assertThat(single.sha256()).as("image %d alone vs in the batch", i).isEqualTo(batch.get(i).sha256());
      assertThat(Arrays.equals(single.png(), batch.get(i).png())).isTrue();
      assertThat(batch.get(i).request()).isEqualTo(BATCH.get(i));
    }
    assertThat(batch.get(0).timings().batchSize()).isEqualTo(4);
    assertThat(batch.get(0).timings().steps()).hasSize(3);
  }

  @Test
  void theSameRequestGivesTheSameBytesAndOtherSeedsDoNot() {
    GeneratedPng a = pipeline.generate(List.of(BATCH.get(0))).get(0);
    GeneratedPng b = pipeline.generate(List.of(BATCH.get(0))).get(0);
    GeneratedPng c = pipeline.generate(List.of(BATCH.get(0).withSeed(5))).get(0);
    assertThat(Arrays.equals(b.png(), a.png())).as("same request, same bytes").isTrue();
    assertThat(Arrays.equals(c.png(), a.png())).as("another seed, other bytes").isFalse();
    assertThat(c.sha256()).isNotEqualTo(a.sha256());
    RgbImage decoded = PngDecoder.decode(a.png(), 1 << 20);
    assertThat(decoded.width()).isEqualTo(256);
    assertThat(a.sha256()).isEqualTo(TextToImagePipeline.sha256(a.png()));
  }

  @Test
  void promptsAndGlyphTextsChangeThePicture() {
    RgbImage base = pipeline.render(List.of(BATCH.get(0))).get(0).image();
    RgbImage otherPrompt = pipeline.render(List.of(new ImageRequest("a green square", "blurry, low quality",
        List.of("SALE"), 256, 256, 3, 4.5, 1, null))).get(0).image();
    RgbImage otherGlyph = pipeline.render(List.of(BATCH.get(0).withGlyphTexts(List.of("OPEN")))).get(0).image();
    RgbImage otherNegative = pipeline.render(List.of(BATCH.get(0).withNegativePrompt(""))).get(0).image();
    assertThat(Arrays.equals(otherPrompt.rgb(), base.rgb())).as("another prompt").isFalse();
    assertThat(Arrays.equals(otherGlyph.rgb(), base.rgb())).as("another glyph text").isFalse();
    assertThat(Arrays.equals(otherNegative.rgb(), base.rgb())).as("another negative prompt").isFalse();
  }

  @Test
  void anUnguidedBatchRunsCondRowsOnlyAndMatchesSingleRuns() {
    List<ImageRequest> unguided = List.of(BATCH.get(2), BATCH.get(2).withSeed(9), BATCH.get(2).withSeed(10));
    counter.reset();
    List<GeneratedPng> batch = pipeline.generate(unguided);
    assertThat(counter.callRows()).containsExactly(3, 3, 3);
    for (int i = 0; i < unguided.size(); i++) {
      assertThat(pipeline.generate(List.of(unguided.get(i))).get(0).sha256()).isEqualTo(batch.get(i).sha256());
    }
  }
}
