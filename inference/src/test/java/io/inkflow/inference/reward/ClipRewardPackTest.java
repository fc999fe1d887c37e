package io.inkflow.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.pack.RewardPackManifest.AestheticKind;
import io.inkflow.inference.pack.RewardPackManifest.AlignmentKind;
import io.inkflow.inference.pack.RewardPackManifest.TextHead;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CLIP-family reward packs against the Python reference (PickScore's and HPS v2's arithmetic, the LAION
 * predictor's), from the PNGs through Java's own preprocessing ({@code ClipImageProcessor}) and tokenization
 * ({@code ClipTokenizer}, 77 ids padded) to the mapped and overall scores.
 *
 * <p>Tolerances: normalised embeddings within 1e-5 (ONNX Runtime and PyTorch sum in different orders, float32);
 * raw alignment within 1e-5 times the logit scale (the cosine's tolerance, scaled; the pack states 100, the model's
 * float32 {@code logit_scale.exp()} is 100.0000076); the aesthetic MLP's rating, mapped and overall scores within
 * 1e-5. The observed maxima are logged (embeddings 1.8e-7, raw alignment 1.2e-5 at scale 100, rating 4.8e-7,
 * overall 5.6e-8).
 */
class ClipRewardPackTest {
  private static final Logger LOG = LoggerFactory.getLogger(ClipRewardPackTest.class);
  private static final ClipGolden SINGLE = ClipGolden.of(TestPacks.clipReward());
  private static final ClipGolden SPLIT = ClipGolden.of(TestPacks.clipRewardSplit());
  private static int liveBefore;
  private static RewardModel single;
  private static RewardModel split;
  private static RewardModel tinyReward;

  @BeforeAll
  static void open() {
    liveBefore = GraphSession.liveSessions();
    single = RewardModel.open(TestPacks.clipReward(), SessionOptionsConfig.cpu());
    split = RewardModel.open(TestPacks.clipRewardSplit(), SessionOptionsConfig.cpu());
    tinyReward = RewardModel.open(TestPacks.reward(), SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void close() {
    single.close();
    split.close();
    tinyReward.close();
    assertThat(GraphSession.liveSessions()).as("sessions open after closing the models").isEqualTo(liveBefore);
  }

  @Test
  void theManifestsNameTheirHeads() {
    RewardPackManifest m = single.manifest();
    assertThat(m.alignment().head()).isEqualTo(AlignmentKind.CLIP);
    assertThat(m.alignment().export()).isEqualTo("clip");
    assertThat(m.alignment().logitScale()).isEqualTo(100.0);
    assertThat(m.aesthetic().head()).isEqualTo(AestheticKind.CLIP_MLP);
    assertThat(m.textRendering().head()).isEqualTo(TextHead.NONE);
    assertThat(m.image()).as("no own graph reads pixels").isNull();
    assertThat(m.tokenizer()).as("no own alignment graph").isNull();
    RewardPackManifest s = split.manifest();
    assertThat(s.alignment().head()).isEqualTo(AlignmentKind.CLIP);
    assertThat(s.alignment().logitScale()).as("HPS v2: the plain cosine").isEqualTo(1.0);
    assertThat(s.aesthetic().head()).isEqualTo(AestheticKind.GRAPH);
    assertThat(s.textRendering().head()).isEqualTo(TextHead.MINI);
    assertThat(s.image().size()).isEqualTo(64);
  }

  @Test
  void bothExportLayoutsEmbedLikeTheReference() throws Exception {
    SessionFactory factory = new SessionFactory(SessionOptionsConfig.cpu());
    for (ClipGolden golden : List.of(SINGLE, SPLIT)) {
      RewardPackManifest pack = golden == SINGLE ? single.manifest() : split.manifest();
      try (ClipExport export = ClipExport.open(factory, pack.id(), pack.dir(), "clip", true)) {
        ClipExport.Embeddings e = export.embed(golden.images(), golden.prompts());
        double images = Tolerance.assertClose(pack.id() + " image embeds", e.images(), golden.matrix("imageEmbeds"),
            1e-5, 0);
        double texts = Tolerance.assertClose(pack.id() + " text embeds", e.texts(), golden.matrix("textEmbeds"),
            1e-5, 0);
        LOG.info("{}: image embeds max abs diff {}, text embeds {}", pack.id(), images, texts);
        ClipExport.Embeddings alone = export.embed(golden.images(), List.of());
        assertThat(alone.texts()).isEmpty();
        Tolerance.assertClose(pack.id() + " image embeds without prompts", alone.images(), e.images(), 1e-6, 0);
      }
    }
  }

  @Test
  void rawScoresOfEveryPairMatchTheReference() throws Exception {
    SessionFactory factory = new SessionFactory(SessionOptionsConfig.cpu());
    for (ClipGolden golden : List.of(SINGLE, SPLIT)) {
      RewardPackManifest pack = golden == SINGLE ? single.manifest() : split.manifest();
      int images = golden.images().size();
      List<String> prompts = new ArrayList<>();
      int[] promptImage = new int[images * golden.prompts().size()];
      for (int i = 0; i < images; i++) {
        for (int p = 0; p < golden.prompts().size(); p++) {
          promptImage[prompts.size()] = i;
          prompts.add(golden.prompts().get(p));
        }
      }
      try (ClipHeads heads = ClipHeads.open(factory, pack)) {
        ClipHeads.Raw raw = heads.score(golden.images(), prompts, promptImage);
        double scale = pack.alignment().logitScale();
        double worst = 0;
        for (int k = 0; k < prompts.size(); k++) {
          double expected = golden.raw(promptImage[k], k % golden.prompts().size());
          assertThat(raw.alignment()[k]).as("%s pair %d", pack.id(), k).isCloseTo(expected, within(1e-5 * scale));
          worst = Math.max(worst, Math.abs(raw.alignment()[k] - expected));
        }
        LOG.info("{}: raw alignment max abs diff {} (logit scale {})", pack.id(), worst, scale);
        if (golden == SINGLE) {
          float[] expected = new float[images];
          for (int i = 0; i < images; i++) {
            expected[i] = (float) golden.index().get("aestheticRaw").get(i).asDouble();
          }
          LOG.info("{}: aesthetic rating max abs diff {}", pack.id(),
              Tolerance.assertClose("aesthetic ratings", raw.aesthetic(), expected, 1e-5, 0));
        } else {
          assertThat(raw.aesthetic()).as("aesthetic is the pack's own graph").isNull();
        }
      }
    }
  }

  @Test
  void aBatchWithDuplicateAndAbsentOriginalPromptsScoresAsTheReference() {
    List<RewardInput> inputs = SINGLE.batch();
    List<RewardScores> batch = single.score(inputs);
    double worst = 0;
    for (int i = 0; i < inputs.size(); i++) {
      JsonNode expected = SINGLE.expected(i);
      RewardScores s = batch.get(i);
      assertThat(s.alignment()).isCloseTo(expected.get("alignment").asDouble(), within(1e-5));
      assertThat(s.aesthetic()).isCloseTo(expected.get("aesthetic").asDouble(), within(1e-5));
      assertThat(s.overall()).isCloseTo(expected.get("overall").asDouble(), within(1e-5));
      if (expected.has("alignmentOriginal")) {
        assertThat(s.alignmentOriginal().orElseThrow()).isCloseTo(expected.get("alignmentOriginal").asDouble(),
            within(1e-5));
      } else {
        assertThat(s.alignmentOriginal()).isEmpty();
      }
      assertThat(s.textRendering()).as("a pack without a text head scores no text, even where asked").isEmpty();
      worst = Math.max(worst, Math.abs(s.overall() - expected.get("overall").asDouble()));
      RewardScores alone = single.score(List.of(inputs.get(i))).get(0);
      assertThat(alone.alignment()).isCloseTo(s.alignment(), within(1e-6));
      assertThat(alone.aesthetic()).isCloseTo(s.aesthetic(), within(1e-6));
      assertThat(alone.overall()).isCloseTo(s.overall(), within(1e-6));
    }
    LOG.info("tiny-clip-reward batch: overall max abs diff {}", worst);
    // rows 0 and 6 are the same image and prompt; rows 0 and 1 share the prompt on different images
    assertThat(batch.get(6).alignment()).isEqualTo(batch.get(0).alignment());
    assertThat(batch.get(1).alignment()).isNotEqualTo(batch.get(0).alignment());
    // row 2's original prompt is its prompt
    assertThat(batch.get(2).alignmentOriginal().orElseThrow()).isEqualTo(batch.get(2).alignment());
  }

  @Test
  void aMixedPackScoresAlignmentByClipAndTheRestByItsOwnGraphs() {
    List<RewardInput> inputs = new ArrayList<>(SPLIT.batch());
    inputs.set(3, new RewardInput(inputs.get(3).image(), inputs.get(3).prompt(), null, List.of("SALE", "50%")));
    List<RewardScores> mixed = split.score(inputs);
    List<RewardScores> own = tinyReward.score(inputs);
    RewardPackManifest.Weights w = split.manifest().weights();
    for (int i = 0; i < inputs.size(); i++) {
      JsonNode expected = SPLIT.expected(i);
      RewardScores m = mixed.get(i);
      assertThat(m.alignment()).isCloseTo(expected.get("alignment").asDouble(), within(1e-5));
      if (expected.has("alignmentOriginal")) {
        assertThat(m.alignmentOriginal().orElseThrow()).isCloseTo(expected.get("alignmentOriginal").asDouble(),
            within(1e-5));
      }
      assertThat(m.aesthetic()).as("tiny-reward's own aesthetic graph").isEqualTo(own.get(i).aesthetic());
      assertThat(m.textRendering()).isEqualTo(own.get(i).textRendering());
      double sum = w.aesthetic() * m.aesthetic() + w.alignment() * m.combinedAlignment();
      double weight = w.aesthetic() + w.alignment();
      if (m.textRendering().isPresent()) {
        sum += w.textRendering() * m.textRendering().get().accuracy();
        weight += w.textRendering();
      }
      assertThat(m.overall()).isCloseTo(sum / weight, within(1e-12));
    }
    assertThat(mixed.get(3).textRendering()).as("the mini head reads the glyph text").isPresent();
  }
}
