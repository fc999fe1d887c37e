package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Broken packs fail to open with a message naming the graph and what was expected and found, and
 * close every session the pipeline had opened before the failure.
 */
class BadPackTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;
  private Path pack;
  private int sessionsBefore;

  @BeforeEach
  void copyPack() {
    pack = TestPacks.copy(TestPacks.mmdit(), tmp.resolve("pack"));
    sessionsBefore = GraphSession.liveSessions();
  }

  @AfterEach
  void nothingLeftOpen() {
    assertThat(GraphSession.liveSessions()).as("sessions left open").isEqualTo(sessionsBefore);
  }

  private Throwable openFails() {
    return org.assertj.core.api.Assertions.catchThrowable(
        () -> TextToImagePipeline.open(pack, SessionOptionsConfig.cpu()).close());
  }

  @Test
  void missingGraphFile() throws IOException {
    Files.delete(pack.resolve("transformer.onnx"));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessage("tiny-mmdit-flow/transformer: graph file not found: " + pack.resolve("transformer.onnx"));
  }

  @Test
  void manifestNamesAnInputThePipelineDoesNotKnow() throws IOException {
    editGraph("transformer", g -> ((ObjectNode) g.withArray("inputs").get(0)).put("name", "latent"));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessage("tiny-mmdit-flow/transformer: expected input 'latents' in the manifest, found "
            + "[latent, timestep, context, context_mask, image_positions]");
  }

  @Test
  void graphWithOtherInputNamesThanTheManifest() throws IOException {
    // the VAE decoder's file where the transformer should be: its only input is 'latents'
    editGraph("transformer", g -> g.put("file", "vae_decoder.onnx").remove("sha256"));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessage("tiny-mmdit-flow/transformer: expected inputs [context, context_mask, image_positions, "
            + "latents, timestep] (manifest), found [latents] in vae_decoder.onnx");
  }

  @Test
  void manifestDeclaresTheWrongRank() throws IOException {
    editGraph("transformer", g -> ((ArrayNode) g.withArray("inputs").get(1).withArray("shape")).add(1));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessage("tiny-mmdit-flow/transformer: expected input 'timestep' of rank 1 in the manifest, "
            + "found rank 2 (timestep float32 [batch, 1])");
  }

  @Test
  void graphHasTheWrongRank() throws IOException {
    try (InputStream in = BadPackTest.class.getResourceAsStream("/io/inkflow/inference/bad-graphs/latents-rank3.onnx")) {
      Files.copy(in, pack.resolve("vae_decoder.onnx"), StandardCopyOption.REPLACE_EXISTING);
    }
    editGraph("vaeDecoder", g -> g.remove("sha256"));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessage("tiny-mmdit-flow/vaeDecoder: expected input 'latents' of rank 4, found rank 3 in vae_decoder.onnx");
  }

  @Test
  void graphHasTheWrongElementType() throws IOException {
    Files.copy(TestPacks.mmditFp16().resolve("vae_decoder.onnx"), pack.resolve("vae_decoder.onnx"),
        StandardCopyOption.REPLACE_EXISTING);
    editGraph("vaeDecoder", g -> g.remove("sha256"));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessage("tiny-mmdit-flow/vaeDecoder: expected input 'latents' of type float32, found float16 "
            + "in vae_decoder.onnx");
  }

  @Test
  void corruptGraphFileIsCaughtByItsChecksum() throws IOException {
    corrupt(pack.resolve("vae_decoder.onnx"));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessageStartingWith("tiny-mmdit-flow/vaeDecoder: vae_decoder.onnx sha256 expected ")
        .hasMessageEndingWith("(file corrupt or replaced)");
  }

  @Test
  void corruptGraphFileWithoutChecksumIsCaughtByOnnxRuntime() throws IOException {
    corrupt(pack.resolve("vae_decoder.onnx"));
    editGraph("vaeDecoder", g -> g.remove("sha256"));
    Throwable e = openFails();
    assertThat(e).isInstanceOf(PackException.class)
        .hasMessageStartingWith("tiny-mmdit-flow/vaeDecoder: cannot load ONNX graph " + pack.resolve("vae_decoder.onnx"));
    assertThat(e.getCause()).isInstanceOf(ai.onnxruntime.OrtException.class);
  }

  @Test
  void missingTokenizerFile() throws IOException {
    Files.delete(pack.resolve("tokenizer.json"));
    assertThat(openFails()).isInstanceOf(PackException.class)
        .hasMessage("tokenizer file not found: " + pack.resolve("tokenizer.json"));
  }

  private static void corrupt(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    byte[] broken = Arrays.copyOf(bytes, bytes.length / 2);
    for (int i = 16; i < broken.length; i += 7) {
      broken[i] = (byte) 0xFF;
    }
    Files.write(file, broken);
  }

  private void editGraph(String key, Consumer<ObjectNode> edit) throws IOException {
    Path manifest = pack.resolve("pack.json");
    ObjectNode root = (ObjectNode) JSON.readTree(manifest.toFile());
    edit.accept((ObjectNode) root.get("graphs").get(key));
    JSON.writeValue(manifest.toFile(), root);
  }
}
