package io.inkflow.inference.pack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackManifestTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void readsTheTinyPack() {
    PackManifest m = PackManifest.read(TestPacks.mmdit());
    assertThat(m.id()).isEqualTo("tiny-mmdit-flow");
    assertThat(m.family()).isEqualTo("mmdit-flow");
    assertThat(m.precision()).isEqualTo(Precision.FP32);
    assertThat(m.tokenizer().type()).isEqualTo(TokenizerSpec.Type.HF_TOKENIZER_JSON);
    assertThat(m.tokenizer().maxLength()).isEqualTo(64);
    assertThat(m.glyphMaxLength()).isEqualTo(48);
    assertThat(m.latent()).isEqualTo(new LatentSpec(4, 8, 2, 1.5305f, 0.0609f));
    assertThat(m.baseResolution()).isEqualTo(512);
    assertThat(m.buckets()).contains(new Bucket(256, 256), new Bucket(384, 256), new Bucket(256, 384),
        new Bucket(512, 512), new Bucket(768, 512), new Bucket(512, 768), new Bucket(768, 768));
    assertThat(m.maxSide()).isEqualTo(768);
    assertThat(m.scheduler().defaultSteps()).isBetween(4, 8);
    assertThat(m.scheduler().shift()).isEqualTo(3.0);
    assertThat(m.promptRewrite().mode()).isEqualTo(RewritePolicy.Mode.ON);
    GraphSpec transformer = m.graph(PackManifest.TRANSFORMER);
    assertThat(transformer.file()).isEqualTo("transformer.onnx");
    assertThat(transformer.input("latents").orElseThrow().toString())
        .isEqualTo("latents float32 [batch, 4, latent_height, latent_width]");
    assertThat(transformer.sha256()).hasSize(64);
  }

  @Test
  void readsTheFp16PackAndTheRewardPack() {
    assertThat(PackManifest.read(TestPacks.mmditFp16()).precision()).isEqualTo(Precision.FP16);
    RewardPackManifest r = RewardPackManifest.read(TestPacks.reward());
    assertThat(r.image().size()).isEqualTo(64);
    assertThat(r.weights()).isEqualTo(new RewardPackManifest.Weights(0.3, 0.5, 0.2));
    assertThat(r.thresholds().overall()).isEqualTo(0.45);
    assertThat(r.maxChars()).isEqualTo(24);
  }

  @Test
  void theBucketIsTheFirstLeastByAspectThenAreaThenSize() {
    PackManifest m = PackManifest.read(TestPacks.mmdit());
    java.util.Random random = new java.util.Random(9);
    for (int n = 0; n < 20_000; n++) {
      int w = 1 + random.nextInt(2048);
      int h = random.nextInt(4) == 0 ? w : 1 + random.nextInt(2048);
      double aspect = Math.log((double) w / h);
      double area = Math.log((double) w * h);
      java.util.Comparator<Bucket> byAspect = java.util.Comparator.comparingDouble(
          b -> Math.rint(Math.abs(Math.log(b.aspect()) - aspect) * 1e9) / 1e9);
      java.util.Comparator<Bucket> byArea = java.util.Comparator.comparingDouble(
          b -> Math.rint(Math.abs(Math.log((double) b.area()) - area) * 1e9) / 1e9);
      Bucket expected = m.buckets().stream().min(byAspect.thenComparing(byArea).thenComparingLong(Bucket::area)).orElseThrow();
      assertThat(m.nearestBucket(w, h)).as("%dx%d", w, h).isEqualTo(expected);
    }
  }

  @Test
  void snapsRequestedSizesToTheNearestBucketByAspectThenArea() {
    PackManifest m = PackManifest.read(TestPacks.mmdit());
    assertThat(m.nearestBucket(256, 256)).isEqualTo(new Bucket(256, 256));
    assertThat(m.nearestBucket(300, 300)).isEqualTo(new Bucket(256, 256));
    assertThat(m.nearestBucket(330, 330)).isEqualTo(new Bucket(384, 384));
    assertThat(m.nearestBucket(1024, 1024)).isEqualTo(new Bucket(768, 768));
    assertThat(m.nearestBucket(600, 400)).isEqualTo(new Bucket(576, 384));   // 3:2
    assertThat(m.nearestBucket(400, 600)).isEqualTo(new Bucket(384, 576));   // 2:3
    assertThat(m.nearestBucket(1920, 1080)).isEqualTo(new Bucket(768, 512)); // 16:9 -> widest, largest
    assertThat(m.nearestBucket(800, 600)).isEqualTo(new Bucket(512, 384));   // 4:3
    assertThat(m.bucket(384, 256)).contains(new Bucket(384, 256));
    assertThat(m.bucket(300, 300)).isEmpty();
  }

  @Test
  void aMissingManifestSaysWhere(@TempDir Path dir) {
    assertThatThrownBy(() -> PackManifest.read(dir))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("pack manifest not found: " + dir.resolve("pack.json"));
  }

  @Test
  void invalidJsonIsReported(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("pack.json"), "{ not json");
    assertThatThrownBy(() -> PackManifest.read(dir)).isInstanceOf(PackException.class)
        .hasMessageContaining("is not valid JSON");
  }

  @Test
  void theWrongFamilyIsRefused() {
    assertThatThrownBy(() -> PackManifest.read(TestPacks.reward()))
        .isInstanceOf(PackException.class)
        .hasMessageContaining("family: expected 'mmdit-flow', found 'reward'");
  }

  @Test
  void fieldErrorsNameTheFieldAndWhatWasFound(@TempDir Path dir) throws IOException {
    assertThat(broken(dir.resolve("a"), m -> ((ObjectNode) m.get("scheduler")).remove("shift")))
        .hasMessageContaining("missing field 'scheduler.shift'");
    assertThat(broken(dir.resolve("b"), m -> ((ObjectNode) m.get("latent")).put("patchSize", "two")))
        .hasMessageContaining("latent.patchSize: expected an integer, found \"two\"");
    assertThat(broken(dir.resolve("c"), m -> ((ObjectNode) m.withArray("buckets").get(0)).put("width", 250)))
        .hasMessageContaining("buckets: expected sides that are multiples of 16, found 250x256");
    assertThat(broken(dir.resolve("d"), m -> m.put("precision", "int8")))
        .hasMessageContaining("precision: expected fp32 or fp16, found 'int8'");
    assertThat(broken(dir.resolve("e"), m -> ((ObjectNode) m.get("scheduler")).put("defaultSteps", 99)))
        .hasMessageContaining("expected minSteps <= defaultSteps <= maxSteps, found 1 <= 99 <= 50");
    assertThat(broken(dir.resolve("f"), m -> ((ObjectNode) m.get("graphs")).remove("vaeDecoder")))
        .hasMessageContaining("expected a graph 'vaeDecoder'");
    assertThat(broken(dir.resolve("g"), m -> m.put("precision", "fp16")))
        .hasMessageContaining("precision fp16 expects float tensors of type float16, found");
    assertThat(broken(dir.resolve("h"), m -> ((ObjectNode) m.get("promptRewrite")).put("policy", "vocabulary")))
        .hasMessageContaining("promptRewrite.vocabulary: expected a non-empty word list");
    assertThat(broken(dir.resolve("i"), m -> ((ObjectNode) m.get("graphs").get("transformer"))
        .put("file", "../../etc/passwd")))
        .hasMessageContaining("expected a file inside the pack folder");
  }

  @Test
  void aRestrictedRewritePolicyCarriesItsVocabulary(@TempDir Path dir) throws IOException {
    Path pack = edited(dir, m -> {
      ObjectNode policy = (ObjectNode) m.get("promptRewrite");
      policy.put("policy", "vocabulary");
      policy.putArray("vocabulary").add("red").add("circle").add("红色");
    });
    RewritePolicy policy = PackManifest.read(pack).promptRewrite();
    assertThat(policy.mode()).isEqualTo(RewritePolicy.Mode.VOCABULARY);
    assertThat(policy.vocabulary()).containsExactly("red", "circle", "红色");
  }

  @Test
  void aRewardPackNamesItsTextHeadAndTheRestIsChecked(@TempDir Path dir) throws IOException {
    RewardPackManifest mini = RewardPackManifest.read(TestPacks.reward());
    assertThat(mini.textRendering().head()).isEqualTo(RewardPackManifest.TextHead.MINI);
    assertThat(mini.textRendering().availability()).as("defaults to the text-rendering threshold")
        .isEqualTo(mini.thresholds().textRendering());
    assertThat(brokenReward(dir.resolve("a"), m -> ((ObjectNode) m.get("textRendering")).put("head", "tesseract")))
        .hasMessageContaining("textRendering.head").hasMessageContaining("'tesseract'");
    assertThat(brokenReward(dir.resolve("b"), m -> ((ObjectNode) m.get("textRendering")).put("availability", 1.5)))
        .hasMessageContaining("textRendering.availability").hasMessageContaining("1.5");
    assertThat(brokenReward(dir.resolve("c"), m -> ((ObjectNode) m.get("textRendering")).remove("maxChars")))
        .hasMessageContaining("textRendering.maxChars");
    Path ppocr = dir.resolve("d");
    Files.createDirectories(ppocr);
    ObjectNode manifest = (ObjectNode) JSON.readTree(TestPacks.reward().resolve("pack.json").toFile());
    manifest.set("textRendering", JSON.createObjectNode().put("head", "ppocr"));
    ((ObjectNode) manifest.get("graphs")).remove("textRendering");
    JSON.writeValue(ppocr.resolve("pack.json").toFile(), manifest);
    assertThat(RewardPackManifest.read(ppocr).textRendering().head()).isEqualTo(RewardPackManifest.TextHead.PPOCR);
  }

  private static Throwable brokenReward(Path dir, Consumer<ObjectNode> edit) throws IOException {
    Files.createDirectories(dir);
    ObjectNode manifest = (ObjectNode) JSON.readTree(TestPacks.reward().resolve("pack.json").toFile());
    edit.accept(manifest);
    JSON.writeValue(dir.resolve("pack.json").toFile(), manifest);
    try {
      RewardPackManifest.read(dir);
    } catch (PackException e) {
      return e;
    }
    throw new AssertionError("expected a PackException");
  }

  private static Throwable broken(Path dir, Consumer<ObjectNode> edit) throws IOException {
    Path pack = edited(dir, edit);
    try {
      PackManifest.read(pack);
    } catch (PackException e) {
      return e;
    }
    throw new AssertionError("expected a PackException");
  }

  private static Path edited(Path dir, Consumer<ObjectNode> edit) throws IOException {
    Files.createDirectories(dir);
    ObjectNode manifest = (ObjectNode) JSON.readTree(TestPacks.mmdit().resolve("pack.json").toFile());
    edit.accept(manifest);
    JSON.writeValue(dir.resolve("pack.json").toFile(), manifest);
    return dir;
  }
}
