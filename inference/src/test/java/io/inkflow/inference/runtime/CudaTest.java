package io.inkflow.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.diffusion.ImagePipeline;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.TextToImagePipeline;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.inference.testing.TestPacks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GPU tier: runs only with {@code -Pgpu -Dinkflow.cuda=1} on a machine with CUDA 12 + cuDNN 9.
 * The packs must run on CUDA (no silent CPU fallback) and agree with CPU to rounding: CUDA kernels
 * and TF32/cuBLAS choices differ from MLAS, so pixels may differ by a few levels, not more.
 */
@EnabledIfSystemProperty(named = "inkflow.cuda", matches = "1")
class CudaTest {
  private static final Logger LOG = LoggerFactory.getLogger(CudaTest.class);

  @Test
  void packsRunOnCudaAndAgreeWithCpu() {
    List<ImageRequest> batch = List.of(ImageRequest.of("a red circle", 512, 512, 4, 4.5, 1),
        ImageRequest.of("蓝色背景", 512, 512, 4, 4.5, 2));
    RgbImage cpu;
    try (TextToImagePipeline pipeline = TextToImagePipeline.open(TestPacks.mmdit(), SessionOptionsConfig.cpu())) {
      cpu = pipeline.render(batch).get(0).image();
    }
    try (TextToImagePipeline pipeline = TextToImagePipeline.open(TestPacks.mmdit(), SessionOptionsConfig.cuda(0))) {
      assertThat(pipeline.executionProvider()).isEqualTo(ExecutionProvider.CUDA);
      RgbImage gpu = pipeline.render(batch).get(0).image();
      long sum = 0;
      int worst = 0;
      for (int i = 0; i < cpu.rgb().length; i++) {
        int d = Math.abs((cpu.rgb()[i] & 0xFF) - (gpu.rgb()[i] & 0xFF));
        sum += d;
        worst = Math.max(worst, d);
      }
      double mean = (double) sum / cpu.rgb().length;
      LOG.info("CUDA vs CPU: mean level difference {}, max {}", mean, worst);
      assertThat(mean).isLessThan(1.0);
    }
    try (RewardModel reward = RewardModel.open(TestPacks.reward(), SessionOptionsConfig.cuda(0))) {
      assertThat(reward.executionProvider()).isEqualTo(ExecutionProvider.CUDA);
      RewardScores s = reward.score(List.of(new RewardInput(cpu, "a red circle", null, List.of("SALE")))).get(0);
      assertThat(s.overall()).isBetween(0.0, 1.0);
    }
    try (TextToImagePipeline fp16 = TextToImagePipeline.open(TestPacks.mmditFp16(), SessionOptionsConfig.cuda(0))) {
      assertThat(fp16.generate(batch)).hasSize(2);
    }
  }

  @Test
  void diffusersExportsRunOnCudaAndAgreeWithCpu() {
    for (String fixture : List.of("tiny-sd", "tiny-sdxl", "tiny-sd3", "tiny-flux")) {
      int side = fixture.equals("tiny-sd") ? 64 : 128;
      double guidance = fixture.equals("tiny-flux") ? 0.0 : 5.0;
      List<ImageRequest> batch = List.of(
          new ImageRequest("a photo of a cat", "blurry", List.of(), side, side, 4, fixture.equals("tiny-flux") ? 0.0 : 7.5, 1,
              Map.of()),
          ImageRequest.of("a red teapot", side, side, 4, guidance, 2));
      RgbImage cpu;
      try (ImagePipeline pipeline = ImagePipeline.open(TestPacks.models().resolve(fixture), SessionOptionsConfig.cpu())) {
        cpu = pipeline.render(batch).get(0).image();
      }
      try (ImagePipeline pipeline = ImagePipeline.open(TestPacks.models().resolve(fixture), SessionOptionsConfig.cuda(0))) {
        assertThat(pipeline.executionProvider()).isEqualTo(ExecutionProvider.CUDA);
        RgbImage gpu = pipeline.render(batch).get(0).image();
        long sum = 0;
        for (int i = 0; i < cpu.rgb().length; i++) {
          sum += Math.abs((cpu.rgb()[i] & 0xFF) - (gpu.rgb()[i] & 0xFF));
        }
        double mean = (double) sum / cpu.rgb().length;
        LOG.info("{}: CUDA vs CPU mean level difference {}", fixture, mean);
        assertThat(mean).as(fixture).isLessThan(fixture.equals("tiny-sd") || fixture.equals("tiny-sd3") ? 1.0 : 3.0);
      }
    }
  }
}
