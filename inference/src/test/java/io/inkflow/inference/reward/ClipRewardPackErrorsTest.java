package io.inkflow.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLIP-family reward packs that cannot be used: each manifest error names its field, each export error the file, what
 * was expected and what was found; and a failed open leaves no session behind, whichever stage failed.
 */
class ClipRewardPackErrorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  // ------------------------------------------------------------------ the manifest

  @Test
  void aScoreMapMustBeLinearWithMinBelowMax() throws IOException {
    assertThat(manifestError(m -> scoreMap(m, "alignment").put("type", "sigmoid")))
        .hasMessageContaining("alignment.scoreMap.type").hasMessageContaining("expected 'linear', found 'sigmoid'");
    assertThat(manifestError(m -> scoreMap(m, "alignment").put("max", -40.0)))
        .hasMessageContaining("alignment.scoreMap.max").hasMessageContaining("above min -40.0, found -40.0");
    assertThat(manifestError(m -> scoreMap(m, "aesthetic").remove("min")))
        .hasMessageContaining("missing field 'aesthetic.scoreMap.min'");
    assertThat(manifestError(m -> scoreMap(m, "aesthetic").put("min", "one")))
        .hasMessageContaining("aesthetic.scoreMap.min").hasMessageContaining("expected a number");
    assertThat(manifestError(m -> ((ObjectNode) m.get("alignment")).remove("scoreMap")))
        .hasMessageContaining("missing field 'alignment.scoreMap'");
  }

  @Test
  void headsExportsAndLogitScalesAreChecked() throws IOException {
    assertThat(manifestError(m -> ((ObjectNode) m.get("alignment")).put("head", "blip")))
        .hasMessageContaining("alignment.head").hasMessageContaining("expected 'graph' or 'clip', found 'blip'");
    assertThat(manifestError(m -> ((ObjectNode) m.get("aesthetic")).put("head", "clip")))
        .hasMessageContaining("aesthetic.head").hasMessageContaining("expected 'graph' or 'clip-mlp', found 'clip'");
    assertThat(manifestError(m -> ((ObjectNode) m.get("alignment")).put("export", "../tiny-sd")))
        .hasMessageContaining("alignment.export").hasMessageContaining("inside the pack folder, found '../tiny-sd'");
    assertThat(manifestError(m -> ((ObjectNode) m.get("aesthetic")).remove("export")))
        .hasMessageContaining("missing field 'aesthetic.export'");
    assertThat(manifestError(m -> ((ObjectNode) m.get("alignment")).put("logitScale", 0)))
        .hasMessageContaining("alignment.logitScale").hasMessageContaining("expected a positive number");
    assertThat(manifestError(m -> ((ObjectNode) m.get("textRendering")).put("head", "tesseract")))
        .hasMessageContaining("textRendering.head").hasMessageContaining("'mini', 'ppocr' or 'none'");
  }

  @Test
  void whatAnOwnGraphNeedsIsRequiredOnlyWhenThePackHasOne() throws IOException {
    assertThat(manifestError(m -> ((ObjectNode) m.get("graphs")).remove("aesthetic")))
        .hasMessageContaining("graphs").hasMessageContaining("expected a graph 'aesthetic'");
    // an own aesthetic graph reads pixels: the image section becomes required
    assertThat(manifestError(m -> ((ObjectNode) m.get("aesthetic")).removeAll().put("head", "graph")))
        .hasMessageContaining("missing field 'image'");
    // an own alignment graph: its tokenizer and graph are required, its section takes no CLIP fields
    assertThat(manifestError(m -> ((ObjectNode) m.get("alignment")).put("head", "graph")))
        .hasMessageContaining("alignment.export").hasMessageContaining("expected no 'export' for head 'graph'");
    assertThat(manifestError(m -> ((ObjectNode) m.get("alignment")).removeAll()))
        .as("an own alignment graph reads pixels too").hasMessageContaining("missing field 'image'");
    assertThat(manifestError(m -> {
      ((ObjectNode) m.get("alignment")).removeAll();
      m.set("image", JSON.createObjectNode().put("size", 64).<ObjectNode>set("mean", JSON.valueToTree(new double[] {
          0.5, 0.5, 0.5})).set("std", JSON.valueToTree(new double[] {0.5, 0.5, 0.5})));
    })).hasMessageContaining("missing field 'tokenizer'");
    // the committed own-graph packs read as before: every head their own graph
    RewardPackManifest tiny = RewardPackManifest.read(TestPacks.reward());
    assertThat(tiny.aesthetic()).isEqualTo(RewardPackManifest.AestheticSpec.GRAPH);
    assertThat(tiny.alignment()).isEqualTo(RewardPackManifest.AlignmentSpec.GRAPH);
  }

  // ------------------------------------------------------------------ the export folder

  @Test
  void aMissingExportFolderOrGraphIsNamed() throws IOException {
    Path noFolder = copy(TestPacks.clipReward(), "no-folder");
    deleteTree(noFolder.resolve("clip"));
    assertThat(openError(noFolder)).hasMessageContaining("tiny-clip-reward/clip")
        .hasMessageContaining("expected the CLIP export folder " + noFolder.resolve("clip"))
        .hasMessageContaining("found no such folder");

    Path noModel = copy(TestPacks.clipReward(), "no-model");
    Files.delete(noModel.resolve("clip/model.onnx"));
    assertThat(openError(noModel))
        .hasMessageContaining("expected model.onnx (one graph) or text_model.onnx and vision_model.onnx (split)")
        .hasMessageContaining("preprocessor_config.json");

    Path noText = copy(TestPacks.clipRewardSplit(), "no-text");
    Files.delete(noText.resolve("clip/text_model.onnx"));
    assertThat(openError(noText)).hasMessageContaining("expected text_model.onnx beside vision_model.onnx");
  }

  @Test
  void theExportsPreprocessorConfigAndTokenizerFilesAreNamed() throws IOException {
    Path noConfig = copy(TestPacks.clipReward(), "no-config");
    Files.delete(noConfig.resolve("clip/preprocessor_config.json"));
    assertThat(openError(noConfig)).hasMessageContaining("expected " + noConfig.resolve("clip/preprocessor_config.json"))
        .hasMessageContaining("found no such file");

    Path noCrop = copy(TestPacks.clipReward(), "no-crop");
    editJson(noCrop.resolve("clip/preprocessor_config.json"), c -> c.put("do_center_crop", false));
    assertThat(openError(noCrop)).hasMessageContaining("preprocessor_config.json")
        .hasMessageContaining("expected pixel_values of one size for every image")
        .hasMessageContaining("keeps the aspect ratio");

    Path badConfig = copy(TestPacks.clipReward(), "bad-config");
    editJson(badConfig.resolve("clip/preprocessor_config.json"), c -> c.put("resample", 2));
    assertThat(openError(badConfig)).hasMessageContaining("preprocessor_config.json").hasMessageContaining("resample");

    Path noVocab = copy(TestPacks.clipReward(), "no-vocab");
    Files.delete(noVocab.resolve("clip/vocab.json"));
    assertThat(openError(noVocab)).hasMessageContaining(noVocab.resolve("clip/vocab.json").toString())
        .hasMessageContaining("found no such file");
  }

  @Test
  void graphsThatBreakTheContractAreRefusedNamingInputOrOutput() throws IOException {
    assertThat(openError(withModel("clip-no-text-embeds")))
        .hasMessageContaining("expected output 'text_embeds', found [image_embeds] in model.onnx");
    assertThat(openError(withModel("clip-no-input-ids")))
        .hasMessageContaining("expected input 'input_ids', found [pixel_values] in model.onnx");
    assertThat(openError(withModel("clip-crop-336")))
        .hasMessageContaining("expected dimension 2 of 'pixel_values' to be 224")
        .hasMessageContaining("preprocessor_config.json").hasMessageContaining("336");
    assertThat(openError(withModel("clip-extra-input")))
        .hasMessageContaining("found also [position_ids] in model.onnx");
  }

  @Test
  void anMlpForAnotherClipsEmbeddingsIsRefused() throws IOException {
    Path pack = copy(TestPacks.clipReward(), "mlp-768");
    copyResource("aesthetic-mlp-768", pack.resolve("aesthetic_mlp.onnx"));
    editJson(pack.resolve("pack.json"), m -> {
      ObjectNode g = (ObjectNode) m.get("graphs").get("aesthetic");
      g.remove("sha256");
      ((ArrayNode) g.get("inputs").get(0).get("shape")).set(1, 768);
    });
    assertThat(openError(pack)).hasMessageContaining("tiny-clip-reward/aesthetic")
        .hasMessageContaining("expected input 'image_embeds' of width 24 (the tiny-clip-reward/clip export's")
        .hasMessageContaining("768");
  }

  @Test
  void aFailureAfterSomeSessionsOpenedLeavesNoneOpen() throws IOException {
    // the split export opens vision_model.onnx, then fails on a corrupt text_model.onnx
    Path corrupt = copy(TestPacks.clipRewardSplit(), "corrupt-text");
    Files.write(corrupt.resolve("clip/text_model.onnx"), new byte[] {1, 2, 3, 4});
    assertThat(openError(corrupt)).hasMessageContaining("tiny-clip-reward-split/clip/text_model")
        .hasMessageContaining("cannot load ONNX graph");
    // the export opens, then the aesthetic MLP fails its checksum
    Path sum = copy(TestPacks.clipReward(), "bad-sha");
    editJson(sum.resolve("pack.json"), m -> ((ObjectNode) m.get("graphs").get("aesthetic")).put("sha256", "00"));
    assertThat(openError(sum)).hasMessageContaining("aesthetic_mlp.onnx sha256 expected 00");
    // the mixed pack opens its own aesthetic graph, then fails on the export
    Path mixed = copy(TestPacks.clipRewardSplit(), "mixed-no-config");
    Files.delete(mixed.resolve("clip/preprocessor_config.json"));
    assertThat(openError(mixed)).hasMessageContaining("preprocessor_config.json");
  }

  // ------------------------------------------------------------------ helpers

  /** Opens the pack expecting a PackException, and checks that no session was left open. */
  private static PackException openError(Path pack) {
    int before = GraphSession.liveSessions();
    try {
      RewardModel.open(pack, SessionOptionsConfig.cpu()).close();
    } catch (PackException e) {
      assertThat(GraphSession.liveSessions()).as("sessions open after the failed open of %s", pack)
          .isEqualTo(before);
      return e;
    }
    throw new AssertionError("expected a PackException opening " + pack);
  }

  private PackException manifestError(Consumer<ObjectNode> edit) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "manifest");
    ObjectNode manifest = (ObjectNode) JSON.readTree(TestPacks.clipReward().resolve("pack.json").toFile());
    edit.accept(manifest);
    JSON.writeValue(dir.resolve("pack.json").toFile(), manifest);
    try {
      RewardPackManifest.read(dir);
    } catch (PackException e) {
      return e;
    }
    throw new AssertionError("expected a PackException reading " + manifest);
  }

  private static ObjectNode scoreMap(ObjectNode manifest, String head) {
    return (ObjectNode) manifest.get(head).get("scoreMap");
  }

  private Path copy(Path pack, String name) {
    return TestPacks.copy(pack, tmp.resolve(name));
  }

  /** A copy of tiny-clip-reward whose clip/model.onnx is one of the bad graphs. */
  private Path withModel(String graph) throws IOException {
    Path pack = copy(TestPacks.clipReward(), graph);
    copyResource(graph, pack.resolve("clip/model.onnx"));
    return pack;
  }

  private static void copyResource(String graph, Path target) throws IOException {
    try (InputStream in = ClipRewardPackErrorsTest.class.getResourceAsStream(
        "/io/inkflow/inference/bad-graphs/" + graph + ".onnx")) {
      assertThat(in).as("test resource bad-graphs/%s.onnx", graph).isNotNull();
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
    ObjectNode node = (ObjectNode) JSON.readTree(file.toFile());
    edit.accept(node);
    JSON.writeValue(file.toFile(), node);
  }

  private static void deleteTree(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
