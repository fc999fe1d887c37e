package io.inkflow.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.testing.Tolerance;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reward pack end to end against the Python reference (preprocessing, the three heads, OCR
 * decoding, R_a / R_h and the weighted overall score), within 1e-5; and batching that gives the
 * scores of single calls.
 */
class RewardModelTest {
  private static final Golden GOLDEN = Golden.of(TestPacks.reward());
  private static RewardModel model;

  @BeforeAll
  static void open() {
    model = RewardModel.open(TestPacks.reward(), SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void close() {
    int before = GraphSession.liveSessions();
    model.close();
    assertThat(GraphSession.liveSessions()).isEqualTo(before - 3);
  }

  private static RewardInput goldenInput() {
    JsonNode c = GOLDEN.index().get("score");
    Golden.Tensor image = GOLDEN.tensor(c.get("image"));
    List<String> glyphs = new ArrayList<>();
    c.get("glyphTexts").forEach(g -> glyphs.add(g.asText()));
    return new RewardInput(new RgbImage((int) image.shape()[1], (int) image.shape()[0], image.bytes()),
        c.get("prompt").asText(), c.get("originalPrompt").asText(), glyphs);
  }

  @Test
  void matchesTheReferenceScores() {
    JsonNode c = GOLDEN.index().get("score");
    RewardInput input = goldenInput();
    Tolerance.assertClose("preprocessed pixels", model.preprocess(input), GOLDEN.tensor(c.get("pixels")).floats(),
        1e-5, 0);
    RewardScores scores = model.score(List.of(input)).get(0);
    assertThat(scores.aesthetic()).isCloseTo(c.get("aesthetic").asDouble(), within(1e-5));
    assertThat(scores.alignment()).isCloseTo(c.get("alignment").asDouble(), within(1e-5));
    assertThat(scores.alignmentOriginal().orElseThrow()).isCloseTo(c.get("alignmentOriginal").asDouble(), within(1e-5));
    TextRenderingScore text = scores.textRendering().orElseThrow();
    assertThat(text.target()).isEqualTo("SALE 50%");
    assertThat(text.recognized()).isEqualTo(c.get("recognized").asText());
    assertThat(text.accuracy()).isCloseTo(c.get("textAccuracy").asDouble(), within(1e-9));
    assertThat(text.hitRate()).isCloseTo(c.get("textHitRate").asDouble(), within(1e-9));
    assertThat(scores.overall()).isCloseTo(c.get("overall").asDouble(), within(1e-5));
  }

  @Test
  void aBatchScoresLikeSingleCallsAndOnlyGlyphImagesGetTextScores() {
    RewardInput full = goldenInput();
    RewardInput noOriginal = new RewardInput(full.image(), "a blue square", null, List.of("OPEN"));
    RewardInput noText = new RewardInput(flipped(full.image()), "一只猫", "a cat", List.of(" "));
    List<RewardScores> batch = model.score(List.of(full, noOriginal, noText));
    List<RewardInput> inputs = List.of(full, noOriginal, noText);
    for (int i = 0; i < 3; i++) {
      RewardScores single = model.score(List.of(inputs.get(i))).get(0);
      assertThat(batch.get(i).aesthetic()).isCloseTo(single.aesthetic(), within(1e-6));
      assertThat(batch.get(i).alignment()).isCloseTo(single.alignment(), within(1e-6));
      assertThat(batch.get(i).overall()).isCloseTo(single.overall(), within(1e-6));
    }
    assertThat(batch.get(1).alignmentOriginal()).isEmpty();
    assertThat(batch.get(1).textRendering()).isPresent();
    assertThat(batch.get(2).textRendering()).as("blank glyph text is no glyph text").isEmpty();
    assertThat(batch.get(2).alignmentOriginal()).isPresent();
    // different images and prompts score differently (the heads look at their inputs)
    assertThat(batch.get(2).aesthetic()).isNotEqualTo(batch.get(0).aesthetic());
    assertThat(batch.get(1).alignment()).isNotEqualTo(batch.get(0).alignment());
  }

  @Test
  void overallIsTheWeightedMeanOfTheScoresPresent() {
    // weights 0.3 aesthetic, 0.5 alignment, 0.2 text rendering
    RewardScores noText = model.combine(0.6, 0.8, OptionalDouble.of(0.4), Optional.empty());
    assertThat(noText.overall()).isCloseTo((0.3 * 0.6 + 0.5 * 0.4) / 0.8, within(1e-12));
    assertThat(noText.combinedAlignment()).isEqualTo(0.4);
    RewardScores withText = model.combine(0.6, 0.8, OptionalDouble.empty(),
        Optional.of(new TextRenderingScore("SALE", "SA1E", 0.75, 0.75)));
    assertThat(withText.overall()).isCloseTo(0.3 * 0.6 + 0.5 * 0.8 + 0.2 * 0.75, within(1e-12));
  }

  @Test
  void exposesWeightsAndThresholdsForTheScorer() {
    assertThat(model.manifest().thresholds().textRendering()).isEqualTo(0.5);
    assertThat(model.manifest().id()).isEqualTo("tiny-reward");
    assertThat(model.score(List.of())).isEmpty();
  }

  private static RgbImage flipped(RgbImage image) {
    byte[] rgb = image.rgb().clone();
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (255 - (rgb[i] & 0xFF));
    }
    return new RgbImage(image.width(), image.height(), rgb);
  }
}
