package io.inkflow.inference.diffusers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.testing.Tolerance;
import io.inkflow.inference.text.ClipTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Java pipeline against the reference pipeline of {@code scripts/models/inkflow_models/sd_reference.py}
 * (written from diffusers' {@code StableDiffusionPipeline} and {@code StableDiffusionXLPipeline}, run on
 * the same weights in PyTorch): token ids exactly, then text conditioning, every step's latents, the
 * VAE input and the decoded pixels, from the reference's stored initial noise.
 *
 * <p>Tolerances: ONNX Runtime and PyTorch run the same float32 graphs with other kernels, so values
 * agree to about 1e-5 relative; the fp16 export rounds at every graph boundary, where one rounding
 * step is 2^-11 relative, and Euler's first steps multiply by sigma (14.6).
 */
class StableDiffusionGoldenTest {
  private static final Map<Path, StableDiffusionPipeline> PIPELINES = new HashMap<>();

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (Path pack : List.of(TestPacks.models().resolve("tiny-sd"), TestPacks.models().resolve("tiny-sdxl"))) {
      for (JsonNode c : Golden.of(pack).index().get("cases")) {
        out.add(Arguments.of(pack.getFileName().toString(), c.get("name").asText()));
      }
    }
    return out.stream();
  }

  private static synchronized StableDiffusionPipeline pipeline(Path pack) {
    return PIPELINES.computeIfAbsent(pack, p -> StableDiffusionPipeline.open(PackManifest.read(p),
        SessionOptionsConfig.cpu().withIntraOpThreads(1)));
  }

  @AfterAll
  static void close() {
    PIPELINES.values().forEach(StableDiffusionPipeline::close);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void matchesTheReferencePipeline(String fixture, String caseName) throws Exception {
    Path pack = TestPacks.models().resolve(fixture);
    Golden golden = Golden.of(pack);
    JsonNode c = null;
    for (JsonNode candidate : golden.index().get("cases")) {
      if (candidate.get("name").asText().equals(caseName)) {
        c = candidate;
      }
    }
    JsonNode tensors = c.get("tensors");
    boolean xl = fixture.contains("sdxl");
    boolean fp16 = golden.index().get("fixture").get("dtype").asText().contains("float16");
    double atol = fp16 ? 3e-2 : 2e-4;
    double rtol = fp16 ? 3e-2 : 2e-4;

    int images = c.has("num_images") ? c.get("num_images").asInt() : 1;
    String negative = c.hasNonNull("negative_prompt") ? c.get("negative_prompt").asText() : null;
    List<ImageRequest> batch = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      batch.add(new ImageRequest(c.get("prompt").asText(), negative, List.of(), c.get("width").asInt(),
          c.get("height").asInt(), c.get("num_inference_steps").asInt(), c.get("guidance_scale").asDouble(), i,
          Map.of()));
    }
    StableDiffusionPipeline pipeline = pipeline(pack);
    Bucket bucket = pipeline.validate(batch);

    // Token ids, exactly.
    ClipTokenizer first = ClipTokenizer.open(pack.resolve("tokenizer"));
    String condIds = xl ? "cond.input_ids" : "input_ids";
    assertThat(toLongs(first.encodePadded(batch.get(0).prompt()).ids()))
        .isEqualTo(firstRow(golden.tensor(tensors.get(condIds)).longs(), 77));
    if (xl) {
      ClipTokenizer second = ClipTokenizer.open(pack.resolve("tokenizer_2"));
      assertThat(toLongs(second.encodePadded(batch.get(0).prompt()).ids()))
          .isEqualTo(firstRow(golden.tensor(tensors.get("cond.input_ids_2")).longs(), 77));
    }

    boolean guided = c.get("guidance_scale").asDouble() > 1;
    StableDiffusionPipeline.Conditioning conditioning = pipeline.encode(batch, guided, bucket);
    Tolerance.assertClose(caseName + " prompt_embeds", conditioning.context(),
        golden.tensor(tensors.get("prompt_embeds")).floats(), atol, rtol);
    if (xl) {
      Tolerance.assertClose(caseName + " text_embeds", conditioning.pooled(),
          golden.tensor(tensors.get("text_embeds")).floats(), atol, rtol);
      // Time ids move data only: exact.
      assertThat(conditioning.timeIds()).isEqualTo(golden.tensor(tensors.get("time_ids")).floats());
    }

    float[] noise = golden.tensor(tensors.get("noise")).floats();
    List<float[]> steps = new ArrayList<>();
    pipeline.stepObserver = (k, latents) -> steps.add(latents);
    StableDiffusionPipeline.Sampled sampled;
    try {
      sampled = pipeline.sampleLatents(batch, bucket, noise);
    } finally {
      pipeline.stepObserver = null;
    }
    for (int k = 0; k < steps.size(); k++) {
      float[] expected = golden.tensor(tensors.get("latents_step" + k)).floats();
      Tolerance.assertClose(caseName + " latents after step " + k, steps.get(k), expected, atol * 10, rtol);
    }
    float[] vaeInput = pipeline.vaeDecoder().unscale(sampled.latents(), images, sampled.latentHeight(),
        sampled.latentWidth());
    Tolerance.assertClose(caseName + " vae input", vaeInput, golden.tensor(tensors.get("vae_input")).floats(),
        atol * 10, rtol);
    // Decoding the reference's own VAE input isolates the decoder: pixels within a level or two.
    List<RgbImage> decoded = pipeline.vaeDecoder().decode(
        scaleBack(golden.tensor(tensors.get("vae_input")).floats(), pipeline), images, sampled.latentHeight(),
        sampled.latentWidth());
    byte[] expectedPixels = golden.tensor(tensors.get("image_uint8")).bytes();
    int plane = decoded.get(0).width() * decoded.get(0).height();
    int worst = 0;
    for (int i = 0; i < images; i++) {
      byte[] rgb = decoded.get(i).rgb();
      for (int p = 0; p < plane; p++) {
        for (int ch = 0; ch < 3; ch++) {
          int expected = expectedPixels[(i * 3 + ch) * plane + p] & 0xff; // stored [N, 3, H, W]
          worst = Math.max(worst, Math.abs((rgb[p * 3 + ch] & 0xff) - expected));
        }
      }
    }
    assertThat(worst).as(caseName + " largest pixel difference (levels)").isLessThanOrEqualTo(fp16 ? 3 : 1);
  }

  /** The latents that unscale to {@code vaeInput}, so the decoder sees the reference's input. */
  private static float[] scaleBack(float[] vaeInput, StableDiffusionPipeline pipeline) {
    float s = pipeline.manifest().latent().scalingFactor();
    float[] out = new float[vaeInput.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = vaeInput[i] * s;
    }
    return out;
  }

  private static long[] toLongs(int[] ids) {
    long[] out = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }

  private static long[] firstRow(long[] all, int length) {
    long[] out = new long[length];
    System.arraycopy(all, 0, out, 0, length);
    return out;
  }
}
