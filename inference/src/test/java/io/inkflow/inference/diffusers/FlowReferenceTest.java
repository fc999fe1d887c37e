package io.inkflow.inference.diffusers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * SD3's prompt assembly and Flux's latent packing against numbers from diffusers' own functions
 * ({@code testdata/reference/diffusers-pipelines}, diffusers {@code 58eb52c0}): both move data only,
 * so they must match exactly. The reference folder is part of the repository; the test fails without it.
 */
class FlowReferenceTest {
  static final Path REFERENCE = Path.of(System.getProperty("inkflow.pipelineReference",
      Path.of("..", "testdata", "reference", "diffusers-pipelines").toString())).toAbsolutePath().normalize();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode json(String name) throws IOException {
    Path file = REFERENCE.resolve(name);
    assertThat(file).as("the pipeline reference (testdata/reference/diffusers-pipelines)").exists();
    return JSON.readTree(file.toFile());
  }

  private static float[] tensor(ByteBuffer bin, JsonNode ref) {
    float[] out = new float[ref.get("count").asInt()];
    ByteBuffer b = bin.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    b.position(ref.get("offset").asInt());
    b.asFloatBuffer().get(out);
    return out;
  }

  private static ByteBuffer bin(String name) throws IOException {
    return ByteBuffer.wrap(Files.readAllBytes(REFERENCE.resolve(name))).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Test
  void fluxPackingUnpackingAndImageIdsMatchDiffusers() throws IOException {
    JsonNode flux = json("flux.json");
    ByteBuffer bin = bin(flux.get("bin_file").asText());
    int cases = 0;
    for (JsonNode c : flux.get("pack_unpack_ids")) {
      JsonNode shape = c.get("latents").get("shape");
      int b = shape.get(0).asInt();
      int ch = shape.get(1).asInt();
      int h = shape.get(2).asInt();
      int w = shape.get(3).asInt();
      float[] latents = new float[b * ch * h * w];
      for (int i = 0; i < latents.length; i++) {
        latents[i] = i;
      }
      float[] packed = FluxLatents.pack(latents, b, ch, h, w);
      assertThat(packed).isEqualTo(tensor(bin, c.get("packed")));
      assertThat(FluxLatents.unpack(packed, b, ch, h, w)).isEqualTo(tensor(bin, c.get("unpacked"))).isEqualTo(latents);
      JsonNode ids = c.get("latent_image_ids").get("values");
      float[] expected = new float[ids.size()];
      for (int i = 0; i < expected.length; i++) {
        expected[i] = (float) ids.get(i).asDouble();
      }
      assertThat(FluxLatents.imageIds(h, w)).isEqualTo(expected);
      cases++;
    }
    assertThat(cases).isEqualTo(2);
  }

  @Test
  void sd3PromptAssemblyMatchesDiffusersEncodePrompt() throws IOException {
    JsonNode sd3 = json("sd3_encode_prompt.json");
    ByteBuffer bin = bin(sd3.get("bin_file").asText());
    JsonNode raw = sd3.get("fake_encoder_raw_outputs");
    int t5Width = sd3.get("joint_attention_dim (fake transformer config; used for the zero T5 block when text_encoder_3 is None)")
        .asInt();
    int checked = 0;
    for (JsonNode c : sd3.get("encode_prompt_cases")) {
      JsonNode kwargs = c.get("encode_prompt_kwargs");
      int msl = kwargs.get("max_sequence_length").asInt();
      int images = kwargs.has("num_images_per_prompt") ? kwargs.get("num_images_per_prompt").asInt() : 1;
      boolean t5 = !c.get("text_encoder_3").isNull();
      boolean skip = kwargs.has("clip_skip") && kwargs.get("clip_skip").asInt() == 1;
      String prompt = kwargs.get("prompt").asText();
      assertThat(assemble(bin, raw.get(prompt), skip, t5, msl, t5Width, images)).as(c.get("id").asText())
          .isEqualTo(tensor(bin, c.get("outputs").get("prompt_embeds")));
      assertThat(pooled(bin, raw.get(prompt), images)).isEqualTo(tensor(bin, c.get("outputs").get("pooled_prompt_embeds")));
      if (kwargs.get("do_classifier_free_guidance").asBoolean()) {
        String negative = kwargs.has("negative_prompt") ? kwargs.get("negative_prompt").asText() : "";
        // The negatives never get clip_skip.
        assertThat(assemble(bin, raw.get(negative), false, t5, msl, t5Width, images))
            .isEqualTo(tensor(bin, c.get("outputs").get("negative_prompt_embeds")));
        assertThat(pooled(bin, raw.get(negative), images))
            .isEqualTo(tensor(bin, c.get("outputs").get("negative_pooled_prompt_embeds")));
      }
      checked++;
    }
    assertThat(checked).isEqualTo(6);
  }

  /** One text's embeddings, repeated per image, as the pipeline assembles them. */
  private static float[] assemble(ByteBuffer bin, JsonNode text, boolean skip, boolean withT5, int msl, int t5Width,
      int images) {
    String layer = skip ? "hidden_states[-3] (clip_skip=1)" : "hidden_states[-2]";
    JsonNode l = text.get("text_encoder." + layer);
    JsonNode g = text.get("text_encoder_2." + layer);
    int widthL = l.get("shape").get(2).asInt();
    int widthG = g.get("shape").get(2).asInt();
    float[] t5 = withT5 ? tensor(bin, text.get("text_encoder_3.last_hidden_state (len " + msl + ")"))
        : new float[msl * t5Width];
    float[] one = FlowPipeline.assembleSd3(tensor(bin, l), widthL, tensor(bin, g), widthG, t5, 1, msl, t5Width);
    float[] out = new float[one.length * images];
    for (int i = 0; i < images; i++) {
      System.arraycopy(one, 0, out, i * one.length, one.length);
    }
    return out;
  }

  private static float[] pooled(ByteBuffer bin, JsonNode text, int images) {
    JsonNode l = text.get("text_encoder.text_embeds");
    JsonNode g = text.get("text_encoder_2.text_embeds");
    int widthL = l.get("shape").get(1).asInt();
    int widthG = g.get("shape").get(1).asInt();
    float[] one = FlowPipeline.concatRows(tensor(bin, l), widthL, tensor(bin, g), widthG, 1);
    float[] out = new float[one.length * images];
    for (int i = 0; i < images; i++) {
      System.arraycopy(one, 0, out, i * one.length, one.length);
    }
    return out;
  }
}
