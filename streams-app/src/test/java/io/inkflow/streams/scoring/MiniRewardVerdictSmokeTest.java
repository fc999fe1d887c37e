package io.inkflow.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.Verdict;
import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Smoke version of the bad-case verdict study ({@code scripts/eval/verdicts}, docs/model-card.md): the
 * committed mini reward pack and the scoring stream's policy judge images the mini generator drew for
 * held-out test prompts, against what the rule-based checker read in them.
 *
 * <p>The fixture ({@code verdict-smoke/}, written by {@code scripts/eval/verdicts --fixture}) holds the
 * first {@value #WRONG} checker-wrong and the first {@value #RIGHT} checker-right images of the study's
 * test set, in set order (chosen by the checker alone, not by how the pack scores them), each with the
 * prompt as the scoring stream sees it. Only the pack's graphs score; the checker's label is only what
 * the verdict is compared with. The study's target (at least 60% of the wrong images caught, at most 5%
 * of the right ones flagged) is not met by the committed pack (docs/model-card.md); this test pins what it
 * does instead.
 */
class MiniRewardVerdictSmokeTest {
  static final Path PACK = Path.of("..", "infra", "models", "mini-reward");
  static final Path FIXTURE = Path.of("src", "test", "resources", "verdict-smoke");
  static final int WRONG = 16;
  static final int RIGHT = 16;
  /** What mini-reward 1.0.0 does on this fixture; the full study: 8 of 81 caught, 56 of 719 right flagged. */
  static final int CAUGHT_NOW = 2;
  static final int FLAGGED_NOW = 2;

  record Case(String id, boolean wrong, Verdict verdict, List<String> reasons) {}

  static List<Case> cases;

  @BeforeAll
  static void score() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(FIXTURE.resolve("cases.jsonl"), StandardCharsets.UTF_8)) {
      rows.add(json.readTree(line));
    }
    List<RewardInput> inputs = new ArrayList<>();
    for (JsonNode row : rows) {
      List<String> glyphs = new ArrayList<>();
      row.get("glyphs").forEach(g -> glyphs.add(g.asText()));
      byte[] png = Files.readAllBytes(FIXTURE.resolve(row.get("id").asText() + ".png"));
      inputs.add(new RewardInput(PngDecoder.decode(png, 1L << 20), row.get("prompt").asText(), null, glyphs));
    }
    cases = new ArrayList<>();
    try (RewardModel model = RewardModel.open(PACK, SessionOptionsConfig.cpu())) {
      RewardPolicy policy = RewardPolicy.of(model.manifest());
      List<RewardScores> scores = model.score(inputs);
      for (int i = 0; i < rows.size(); i++) {
        RewardPolicy.Judgement j = policy.judge(scores.get(i));
        cases.add(new Case(rows.get(i).get("id").asText(), rows.get(i).get("checker").asText().equals("wrong"),
            j.verdict(), j.reasons()));
      }
    }
  }

  @Test
  void fixtureHoldsTheStatedCases() {
    assertThat(cases.stream().filter(Case::wrong)).hasSize(WRONG);
    assertThat(cases.stream().filter(c -> !c.wrong())).hasSize(RIGHT);
  }

  /**
   * Pins the committed pack's verdicts on the fixture, so that a new pack or policy shows here what it
   * changes; the full study ({@code scripts/eval/verdicts}) says whether it is better.
   */
  @Test
  void committedPackCatchesFewOfTheImagesTheCheckerCallsWrong() {
    assertThat(caught()).as("checker-wrong images flagged BAD_CASE, of %d", WRONG).hasSize(CAUGHT_NOW);
    assertThat(flagged()).as("checker-right images flagged BAD_CASE, of %d", RIGHT).hasSize(FLAGGED_NOW);
  }

  private static List<Case> caught() {
    return cases.stream().filter(c -> c.wrong() && c.verdict() == Verdict.BAD_CASE).toList();
  }

  private static List<Case> flagged() {
    return cases.stream().filter(c -> !c.wrong() && c.verdict() == Verdict.BAD_CASE).toList();
  }
}
