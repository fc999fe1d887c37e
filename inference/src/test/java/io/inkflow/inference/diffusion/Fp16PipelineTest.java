package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.Precision;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An fp16 pack (float16 inputs, outputs and stored weights) runs through the same pipeline: tensors
 * are converted at the graph boundary and the sampler stays in fp32. Its images follow the fp32
 * pack's to fp16 rounding: mean difference under half a level (observed 0.03).
 */
class Fp16PipelineTest {
  private static final Logger LOG = LoggerFactory.getLogger(Fp16PipelineTest.class);

  @Test
  void fp16PackDrawsWhatTheFp32PackDraws() {
    List<ImageRequest> batch = List.of(
        ImageRequest.of("a red circle on the left of a blue background", 256, 384, 4, 4.5, 42)
            .withNegativePrompt("blurry").withGlyphTexts(List.of("SALE")),
        ImageRequest.of("蓝色背景", 256, 384, 4, 4.5, 43));
    RgbImage full;
    try (TextToImagePipeline fp32 = TextToImagePipeline.open(TestPacks.mmdit(), SessionOptionsConfig.cpu())) {
      full = fp32.render(batch).get(0).image();
    }
    try (TextToImagePipeline fp16 = TextToImagePipeline.open(TestPacks.mmditFp16(), SessionOptionsConfig.cpu())) {
      assertThat(fp16.manifest().precision()).isEqualTo(Precision.FP16);
      List<GeneratedPng> out = fp16.generate(batch);
      RgbImage half = fp16.render(batch).get(0).image();
      long sum = 0;
      int worst = 0;
      for (int i = 0; i < full.rgb().length; i++) {
        int d = Math.abs((full.rgb()[i] & 0xFF) - (half.rgb()[i] & 0xFF));
        sum += d;
        worst = Math.max(worst, d);
      }
      double mean = (double) sum / full.rgb().length;
      LOG.info("fp16 vs fp32 pack: mean level difference {}, max {}", mean, worst);
      assertThat(mean).isLessThan(0.5);
      assertThat(out.get(0).width()).isEqualTo(256);
      // a different seed differs far more than fp16 rounding does
      RgbImage other = fp16.render(List.of(batch.get(0).withSeed(7))).get(0).image();
      long otherSum = 0;
      for (int i = 0; i < full.rgb().length; i++) {
        otherSum += Math.abs((full.rgb()[i] & 0xFF) - (other.rgb()[i] & 0xFF));
      }
      assertThat((double) otherSum / full.rgb().length).isGreaterThan(10 * mean);
    }
  }
}
