package io.inkflow.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The trained mini reward pack end to end against its PyTorch reference (within 1e-5), and what
 * training should have taught it: a clean render with its own caption passes every threshold, the
 * same image with a caption that names another attribute is misaligned.
 */
class MiniRewardPackTest {
  private static final Golden GOLDEN = Golden.of(TestPacks.miniReward());
  private static RewardModel model;

  @BeforeAll
  static void open() {
    model = RewardModel.open(TestPacks.miniReward(), SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void close() {
    model.close();
  }

  private static JsonNode scoreCase() {
    return GOLDEN.index().get("score");
  }

  private static RgbImage image() {
    Golden.Tensor image = GOLDEN.tensor(scoreCase().get("image"));
    return new RgbImage((int) image.shape()[1], (int) image.shape()[0], image.bytes());
  }

  private static List<String> glyphs() {
    List<String> glyphs = new ArrayList<>();
    scoreCase().get("glyphTexts").forEach(g -> glyphs.add(g.asText()));
    return glyphs;
  }

  @Test
  void matchesTheReferenceScores() {
    JsonNode c = scoreCase();
    RewardInput input = new RewardInput(image(), c.get("prompt").asText(), c.get("originalPrompt").asText(), glyphs());
    Tolerance.assertClose("preprocessed pixels", model.preprocess(input), GOLDEN.tensor(c.get("pixels")).floats(),
        1e-5, 0);
    RewardScores scores = model.score(List.of(input)).get(0);
    assertThat(scores.aesthetic()).isCloseTo(c.get("aesthetic").asDouble(), within(1e-5));
    assertThat(scores.alignment()).isCloseTo(c.get("alignment").asDouble(), within(1e-5));
    assertThat(scores.alignmentOriginal().orElseThrow()).isCloseTo(c.get("alignmentOriginal").asDouble(), within(1e-5));
    TextRenderingScore text = scores.textRendering().orElseThrow();
    assertThat(text.recognized()).isEqualTo(c.get("recognized").asText());
    assertThat(text.accuracy()).isCloseTo(c.get("textAccuracy").asDouble(), within(1e-9));
    assertThat(scores.overall()).isCloseTo(c.get("overall").asDouble(), within(1e-5));
  }

  @Test
  void aCleanImageWithItsCaptionPassesAndAWrongCaptionDoesNot() {
    JsonNode c = scoreCase();
    RewardPackManifest.Thresholds t = model.manifest().thresholds();
    RewardScores good = model.score(List.of(new RewardInput(image(), c.get("prompt").asText(), null, glyphs()))).get(0);
    assertThat(good.aesthetic()).isGreaterThan(t.aesthetic());
    assertThat(good.alignment()).isGreaterThan(t.alignment());
    assertThat(good.textRendering().orElseThrow().recognized()).isEqualTo("SALE");
    assertThat(good.overall()).isGreaterThan(t.overall());

    RewardScores wrong = model.score(List.of(new RewardInput(image(), c.get("mismatchedPrompt").asText(), null,
        glyphs()))).get(0);
    assertThat(wrong.alignment()).isCloseTo(c.get("mismatchedAlignment").asDouble(), within(1e-5));
    assertThat(wrong.alignment()).isLessThan(t.alignment());
  }
}
