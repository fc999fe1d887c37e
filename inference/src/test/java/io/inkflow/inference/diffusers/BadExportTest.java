package io.inkflow.inference.diffusers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.inference.diffusion.ImagePipeline;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A truncated or mismatched export fails at load with a {@link PackException} that names the graph or
 * file and says what was expected, never inside ONNX Runtime later; every session opened before the
 * failure is closed.
 */
class BadExportTest {
  @TempDir
  Path tmp;
  private int liveBefore;

  @BeforeEach
  void countSessions() {
    liveBefore = GraphSession.liveSessions();
  }

  @AfterEach
  void noSessionLeaks() {
    assertThat(GraphSession.liveSessions()).as("sessions left open").isEqualTo(liveBefore);
  }

  private Path copy(String fixture) {
    return TestPacks.copy(TestPacks.models().resolve(fixture), tmp.resolve(fixture));
  }

  private static void loadFails(Path export, String... messageParts) {
    var thrown = assertThatThrownBy(() -> ImagePipeline.open(export, SessionOptionsConfig.cpu()).close())
        .isInstanceOf(PackException.class);
    for (String part : messageParts) {
      thrown.hasMessageContaining(part);
    }
  }

  @Test
  void theUntouchedExportsLoad() {
    for (String fixture : new String[] {"tiny-sd", "tiny-sdxl", "tiny-sd3", "tiny-flux", "tiny-flux-dev"}) {
      try (ImagePipeline pipeline = ImagePipeline.open(TestPacks.models().resolve(fixture), SessionOptionsConfig.cpu())) {
        assertThat(pipeline).isInstanceOf(fixture.contains("sd3") || fixture.contains("flux")
            ? FlowPipeline.class : StableDiffusionPipeline.class);
      }
    }
  }

  @Test
  void missingExternalWeightsNameTheGraph() throws IOException {
    Path export = copy("tiny-sd");
    Files.delete(export.resolve("unet/model.onnx_data"));
    loadFails(export, "/unet: cannot load ONNX graph", "unet/model.onnx");
  }

  @Test
  void aTruncatedGraphNamesTheGraph() throws IOException {
    Path export = copy("tiny-sd");
    Path file = export.resolve("vae_decoder/model.onnx");
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length / 3));
    loadFails(export, "/vae_decoder: cannot load ONNX graph");
  }

  @Test
  void aGraphInTheWrongFolderSaysWhatWasExpected() throws IOException {
    Path export = copy("tiny-sd");
    Files.copy(export.resolve("text_encoder/model.onnx"), export.resolve("vae_decoder/model.onnx"),
        StandardCopyOption.REPLACE_EXISTING);
    loadFails(export, "/vae_decoder: expected input 'latent_sample', found [input_ids]");
  }

  @Test
  void anSdUnetInAnSdxlExportIsRefused() throws IOException {
    Path export = copy("tiny-sdxl");
    Files.copy(TestPacks.models().resolve("tiny-sd/unet/model.onnx"), export.resolve("unet/model.onnx"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.copy(TestPacks.models().resolve("tiny-sd/unet/model.onnx_data"), export.resolve("unet/model.onnx_data"));
    loadFails(export, "/unet: expected input", "sample");
  }

  @Test
  void clipSkipOnAnSdExportIsRefusedWithTheReason() throws IOException {
    Path export = copy("tiny-sd");
    Path options = export.resolve("inkflow.json");
    Files.writeString(options, Files.readString(options).replaceFirst("\\{", "{\"clipSkip\": 1, "));
    loadFails(export, "clipSkip 1 needs the text encoder's hidden states");
  }

  @Test
  void anUnportedSchedulerNamesTheSupportedOnesAndTheFix() throws IOException {
    Path export = copy("tiny-sd");
    Path options = export.resolve("inkflow.json");
    // Without className the export's PNDMScheduler would run, which is not ported.
    Files.writeString(options, Files.readString(options).replace("\"className\": \"EulerDiscreteScheduler\",", ""));
    loadFails(export, "PNDMScheduler", "EulerDiscreteScheduler", "scheduler.className in");
  }

  @Test
  void anSd3TransformerInAFluxExportIsRefused() throws IOException {
    Path export = copy("tiny-flux");
    Files.copy(TestPacks.models().resolve("tiny-sd3/transformer/model.onnx"), export.resolve("transformer/model.onnx"),
        StandardCopyOption.REPLACE_EXISTING);
    loadFails(export, "/transformer: expected input 'hidden_states' of rank [3]");
  }

  @Test
  void aFlowFamilyWithAnotherSchedulerIsRefused() throws IOException {
    Path export = copy("tiny-sd3");
    Path options = export.resolve("inkflow.json");
    Files.writeString(options, Files.readString(options).replace("\"scheduler\": {",
        "\"scheduler\": {\"className\": \"EulerDiscreteScheduler\","));
    loadFails(export, "expected FlowMatchEulerDiscreteScheduler for a sd3 export, found EulerDiscreteScheduler");
  }

  @Test
  void aMissingT5TokenizerOfAFluxExportIsNamed() throws IOException {
    Path export = copy("tiny-flux");
    Files.delete(export.resolve("tokenizer_2/tokenizer.json"));
    Files.delete(export.resolve("tokenizer_2/spiece.model"));
    assertThatThrownBy(() -> ImagePipeline.open(export, SessionOptionsConfig.cpu()).close())
        .isInstanceOf(PackException.class).hasMessageContaining("tokenizer_2");
  }
}
