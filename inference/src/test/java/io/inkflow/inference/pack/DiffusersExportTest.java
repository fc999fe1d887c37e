package io.inkflow.inference.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffusersExportTest {
  static final Path SD = Path.of("..", "infra", "models", "tiny-sd").toAbsolutePath().normalize();
  static final Path SDXL = Path.of("..", "infra", "models", "tiny-sdxl").toAbsolutePath().normalize();

  @Test
  void readsAnSd15LayoutExportWithItsInkflowJson() {
    DiffusersExport export = DiffusersExport.read(SD);
    assertThat(export.family()).isEqualTo(DiffusersExport.Family.SD);
    assertThat(export.skipped()).containsExactly("safety_checker");
    assertThat(export.schedulerClass()).isEqualTo("PNDMScheduler");
    assertThat(export.options().schedulerClass()).contains("EulerDiscreteScheduler");
    assertThat(export.vae().scalingFactor()).isEqualTo(0.18215f);
    assertThat(export.baseResolution()).isEqualTo(64);
    assertThat(export.textEncoders()).hasSize(1);
    assertThat(export.packId()).matches("sd-[0-9a-f]{12}");

    PackManifest pack = PackManifest.read(SD);
    assertThat(pack.isDiffusers()).isTrue();
    assertThat(pack.family()).isEqualTo("sd");
    assertThat(pack.buckets()).first().isEqualTo(new Bucket(64, 64));
    assertThat(pack.buckets()).allMatch(b -> b.width() % 8 == 0 && b.height() % 8 == 0);
    assertThat(pack.scheduler().type()).isEqualTo("EulerDiscreteScheduler");
    assertThat(pack.scheduler().maxSteps()).isEqualTo(8);
    assertThat(pack.tokenizer().type()).isEqualTo(TokenizerSpec.Type.CLIP_BPE);
  }

  @Test
  void readsAnSdxlLayoutExport() {
    DiffusersExport export = DiffusersExport.read(SDXL);
    assertThat(export.family()).isEqualTo(DiffusersExport.Family.SDXL);
    assertThat(export.forceZerosForEmptyPrompt()).isTrue();
    assertThat(export.textEncoders()).extracting(DiffusersExport.TextEncoderConfig::withProjection)
        .containsExactly(false, true);
    assertThat(export.tokenizers()).extracting(p -> p.getFileName().toString()).containsExactly("tokenizer", "tokenizer_2");
    assertThat(export.unet().additionEmbedType()).isEqualTo("text_time");
    assertThat(export.packId()).matches("sdxl-[0-9a-f]{12}").isNotEqualTo(DiffusersExport.read(SD).packId());
  }

  @Test
  void theIdChangesWithAnyComponentConfigAndNotWithTheWeights(@TempDir Path tmp) throws IOException {
    Path copy = copy(SD, tmp.resolve("a"));
    String id = DiffusersExport.read(copy).packId();
    assertThat(DiffusersExport.read(copy).packId()).isEqualTo(id);
    Files.write(copy.resolve("unet/model.onnx_data"), new byte[] {1, 2, 3});
    assertThat(DiffusersExport.read(copy).packId()).isEqualTo(id);
    Path config = copy.resolve("vae_decoder/config.json");
    Files.writeString(config, Files.readString(config).replace("\"latent_channels\": 4", "\"latent_channels\": 4, \"x\": 1"));
    assertThat(DiffusersExport.read(copy).packId()).isNotEqualTo(id);
  }

  @Test
  void aMissingGraphIsNamedWithTheFileItExpected(@TempDir Path tmp) throws IOException {
    Path copy = copy(SD, tmp.resolve("a"));
    Files.delete(copy.resolve("unet/model.onnx"));
    assertThatThrownBy(() -> PackManifest.read(copy)).isInstanceOf(PackException.class)
        .hasMessageContaining("expected the file unet/model.onnx of an Optimum ONNX export, found none");
  }

  @Test
  void anUnsupportedPipelineNamesTheSupportedOnes(@TempDir Path tmp) throws IOException {
    Path copy = copy(SD, tmp.resolve("a"));
    Path index = copy.resolve("model_index.json");
    Files.writeString(index, Files.readString(index).replace("\"StableDiffusionPipeline\"", "\"KandinskyPipeline\""));
    assertThatThrownBy(() -> PackManifest.read(copy)).isInstanceOf(PackException.class)
        .hasMessageContaining("_class_name")
        .hasMessageContaining("StableDiffusionXLPipeline")
        .hasMessageContaining("found 'KandinskyPipeline'");
  }

  @Test
  void aMissingRequiredComponentEntryIsNamed(@TempDir Path tmp) throws IOException {
    Path copy = copy(SDXL, tmp.resolve("a"));
    Path index = copy.resolve("model_index.json");
    Files.writeString(index, Files.readString(index).replace("\"text_encoder_2\"", "\"text_encoder_9\""));
    assertThatThrownBy(() -> PackManifest.read(copy)).isInstanceOf(PackException.class)
        .hasMessageContaining("text_encoder_2").hasMessageContaining("found no entry");
  }

  @Test
  void badInkflowJsonFieldsAreNamed(@TempDir Path tmp) throws IOException {
    Path copy = copy(SD, tmp.resolve("a"));
    Path options = copy.resolve("inkflow.json");
    Files.writeString(options, "{\"languages\": [\"fr\"]}");
    assertThatThrownBy(() -> PackManifest.read(copy)).isInstanceOf(PackException.class)
        .hasMessageContaining("inkflow.json: languages: expected codes among [en, zh], found 'fr'");
    Files.writeString(options, "{\"otherLanguages\": \"maybe\"}");
    assertThatThrownBy(() -> PackManifest.read(copy)).hasMessageContaining("expected refuse or warn, found 'maybe'");
    Files.writeString(options, "{\"buckets\": [{\"width\": 60, \"height\": 64}]}");
    assertThatThrownBy(() -> PackManifest.read(copy)).hasMessageContaining("multiples of 16").hasMessageContaining("60x64");
    Files.writeString(options, "not json");
    assertThatThrownBy(() -> PackManifest.read(copy)).hasMessageContaining("inkflow.json: expected valid JSON");
    Files.delete(options);
    assertThat(PackManifest.read(copy).scheduler().defaultSteps()).isEqualTo(50);
    assertThat(PackManifest.read(copy).scheduler().type()).isEqualTo("PNDMScheduler");
  }

  static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.toString().contains("golden")) {
          continue;
        }
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return to;
  }
}
