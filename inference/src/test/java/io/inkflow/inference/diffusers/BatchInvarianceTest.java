package io.inkflow.inference.diffusers;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image depends on its own request and seed, not on its batch-mates: initial noise and an
 * ancestral sampler's step noise are drawn per image from its seed, and UNet rows do not interact.
 */
class BatchInvarianceTest {
  @TempDir
  Path tmp;

  private static ImageRequest request(String prompt, long seed, double guidance) {
    return new ImageRequest(prompt, "blurry", List.of(), 64, 64, 4, guidance, seed, Map.of());
  }

  @Test
  void anImageIsTheSameWhateverItsBatchMatesUnderAnAncestralSampler() throws IOException {
    Path export = TestPacks.copy(TestPacks.models().resolve("tiny-sd"), tmp.resolve("tiny-sd"));
    Path options = export.resolve("inkflow.json");
    Files.writeString(options, Files.readString(options).replace("\"EulerDiscreteScheduler\"",
        "\"EulerAncestralDiscreteScheduler\""));
    try (StableDiffusionPipeline pipeline = StableDiffusionPipeline.open(PackManifest.read(export),
        SessionOptionsConfig.cpu().withIntraOpThreads(1))) {
      assertThat(pipeline.schedulerDescription()).startsWith("EulerAncestralDiscreteScheduler");
      ImageRequest a = request("a photo of a cat", 7, 7.5);
      List<RenderedImage> withB = pipeline.render(List.of(a, request("a red teapot", 8, 7.5)));
      List<RenderedImage> withC = pipeline.render(List.of(a, request("a blue chair", 99, 3.0)));
      List<RenderedImage> second = pipeline.render(List.of(request("a blue chair", 99, 3.0), a));
      assertThat(withC.get(0).image().rgb()).isEqualTo(withB.get(0).image().rgb());
      assertThat(second.get(1).image().rgb()).isEqualTo(withB.get(0).image().rgb());
      // The step noise is the image's own: another seed gives another image.
      List<RenderedImage> otherSeed = pipeline.render(List.of(request("a photo of a cat", 8, 7.5),
          request("a red teapot", 8, 7.5)));
      assertThat(otherSeed.get(0).image().rgb()).isNotEqualTo(withB.get(0).image().rgb());
    }
  }
}
