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
import io.inkflow.inference.text.T5Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The SD3 and Flux pipelines against the reference pipeline of {@code
 * scripts/models/inkflow_models/sd3_flux_reference.py} (written from diffusers' {@code
 * StableDiffusion3Pipeline} and {@code FluxPipeline}, run on the same weights in PyTorch): token ids
 * exactly, then the assembled text conditioning, every step's latents (packed for Flux), the VAE input
 * and the decoded pixels, from the reference's stored noise. Tolerances as for SD/SDXL: fp32 2e-4
 * relative and absolute, fp16 3e-2 (rounding at every graph boundary).
 */
class FlowGoldenTest {
  @TempDir
  Path tmp;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String fixture : List.of("tiny-sd3", "tiny-flux", "tiny-flux-dev")) {
      for (JsonNode c : Golden.of(TestPacks.models().resolve(fixture)).index().get("cases")) {
        out.add(Arguments.of(fixture, c.get("name").asText()));
      }
    }
    return out.stream();
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
    boolean flux = fixture.startsWith("tiny-flux");
    boolean fp16 = golden.index().get("fixture").get("dtype").asText().contains("float16");
    boolean withoutT5 = c.has("text_encoder_3") && !c.get("text_encoder_3").asBoolean();
    Path export = pack;
    if (withoutT5) {
      // An SD3 export without its T5 encoder, as diffusers allows.
      export = TestPacks.copy(pack, tmp.resolve(fixture));
      deleteTree(export.resolve("text_encoder_3"));
      deleteTree(export.resolve("tokenizer_3"));
    }
    double tolerance = fp16 ? 3e-2 : 2e-4;

    int images = c.has("num_images") ? c.get("num_images").asInt() : 1;
    String negative = c.hasNonNull("negative_prompt") ? c.get("negative_prompt").asText() : null;
    List<ImageRequest> batch = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      batch.add(new ImageRequest(c.get("prompt").asText(), negative, List.of(), c.get("width").asInt(),
          c.get("height").asInt(), c.get("num_inference_steps").asInt(), c.get("guidance_scale").asDouble(), i,
          Map.of()));
    }
    try (FlowPipeline pipeline = FlowPipeline.open(PackManifest.read(export),
        SessionOptionsConfig.cpu().withIntraOpThreads(1))) {
      Bucket bucket = pipeline.validate(batch);
      ClipTokenizer clip = ClipTokenizer.open(pack.resolve("tokenizer"));
      assertThat(toLongs(clip.encodePadded(batch.get(0).prompt()).ids()))
          .isEqualTo(firstRow(golden.tensor(tensors.get("cond.input_ids")).longs(), 77));
      String t5Ids = flux ? "cond.input_ids_2" : "cond.input_ids_3";
      if (tensors.has(t5Ids)) {
        try (T5Tokenizer t5 = T5Tokenizer.open(pack.resolve(flux ? "tokenizer_2" : "tokenizer_3"))) {
          int length = c.get("max_sequence_length").asInt();
          assertThat(toLongs(t5.encodePadded(batch.get(0).prompt(), length).ids()))
              .isEqualTo(firstRow(golden.tensor(tensors.get(t5Ids)).longs(), length));
        }
      }

      boolean guided = !flux && c.get("guidance_scale").asDouble() > 1;
      FlowPipeline.Conditioning conditioning = pipeline.encode(batch, guided);
      Tolerance.assertClose(caseName + " prompt_embeds", conditioning.context(),
          golden.tensor(tensors.get("prompt_embeds")).floats(), tolerance, tolerance);
      Tolerance.assertClose(caseName + " pooled", conditioning.pooled(),
          golden.tensor(tensors.get("pooled_projections")).floats(), tolerance, tolerance);

      List<float[]> steps = new ArrayList<>();
      pipeline.stepObserver = (k, latents) -> steps.add(latents);
      ExportPipeline.Sampled sampled = pipeline.sampleLatents(batch, bucket, golden.tensor(tensors.get("noise")).floats());
      assertThat(steps).hasSize(c.get("num_inference_steps").asInt());
      for (int k = 0; k < steps.size(); k++) {
        Tolerance.assertClose(caseName + " latents after step " + k, steps.get(k),
            golden.tensor(tensors.get("latents_step" + k)).floats(), tolerance * 10, tolerance);
      }
      float[] vaeInput = pipeline.vaeDecoder().unscale(sampled.latents(), images, sampled.latentHeight(),
          sampled.latentWidth());
      Tolerance.assertClose(caseName + " vae input", vaeInput, golden.tensor(tensors.get("vae_input")).floats(),
          tolerance * 10, tolerance);

      // Decoding the reference's own VAE input isolates the decoder.
      float[] reference = golden.tensor(tensors.get("vae_input")).floats();
      float scale = pipeline.manifest().latent().scalingFactor();
      float shift = pipeline.manifest().latent().shiftFactor();
      float[] latents = new float[reference.length];
      for (int i = 0; i < latents.length; i++) {
        latents[i] = (reference[i] - shift) * scale;
      }
      List<RgbImage> decoded = pipeline.vaeDecoder().decode(latents, images, sampled.latentHeight(),
          sampled.latentWidth());
      byte[] expected = golden.tensor(tensors.get("image_uint8")).bytes();
      int plane = decoded.get(0).width() * decoded.get(0).height();
      int worst = 0;
      for (int i = 0; i < images; i++) {
        byte[] rgb = decoded.get(i).rgb();
        for (int p = 0; p < plane; p++) {
          for (int ch = 0; ch < 3; ch++) {
            int e = expected[(i * 3 + ch) * plane + p] & 0xff; // stored [N, 3, H, W]
            worst = Math.max(worst, Math.abs((rgb[p * 3 + ch] & 0xff) - e));
          }
        }
      }
      assertThat(worst).as(caseName + " largest pixel difference (levels)").isLessThanOrEqualTo(fp16 ? 3 : 1);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
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
