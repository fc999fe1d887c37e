package io.inkflow.streams.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.ReviewDecision;
import io.inkflow.testing.ExampleEvents;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DatasetRowsTest {

  @Test
  void aPairIsAPickAPicRowWhoseLabelsFollowTheChosenImage() {
    for (int i = 0; i < 8; i++) {
      PreferencePair p = PreferencePair.newBuilder(ExampleEvents.pair()).setPairId("r-" + i + ">r-9").build();
      Map<String, Object> row = DatasetRows.preference(p, 5);
      assertThat(row).containsKeys("caption", "image_0_uri", "image_1_uri", "label_0", "label_1", "score_0", "score_1",
          "reward_model_id", "split");
      assertThat(row.get("caption")).isEqualTo(p.getOriginalPrompt());
      String chosen = (double) row.get("label_0") == 1.0 ? (String) row.get("image_0_uri") : (String) row.get("image_1_uri");
      assertThat(chosen).isEqualTo(p.getChosenImageUri());
      assertThat((double) row.get("label_0") + (double) row.get("label_1")).isEqualTo(1.0);
      assertThat(DatasetRows.preference(p, 5)).isEqualTo(row);
      assertThat(row).containsEntry("label_source", "reward_model").containsEntry("annotator", null);
    }
  }

  @Test
  void aPersonsChoiceIsAPickAPicRowBesideTheModelsWithTheAnnotator() {
    for (int i = 0; i < 8; i++) {
      HumanPreference h = HumanPreference.newBuilder(ExampleEvents.humanPreference()).setPairId("r-" + i + "~r-9")
          .setChoice(PreferenceChoice.IMAGE_1).build();
      Map<String, Object> row = DatasetRows.humanPreference(h, 5);
      assertThat(row).containsEntry("label_source", "human").containsEntry("annotator", "li.wei").containsEntry("source", "HUMAN")
          .containsEntry("label_id", "label-91c2").containsEntry("caption", h.getOriginalPrompt()).containsEntry("margin", null)
          .containsEntry("time_taken_ms", 2_350L).containsKeys("image_0_uri", "image_1_uri", "score_0", "score_1", "split");
      String chosen = (double) row.get("label_0") == 1.0 ? (String) row.get("image_0_uri") : (String) row.get("image_1_uri");
      assertThat(chosen).isEqualTo(h.getImage1Uri());
      assertThat((double) row.get("label_0") + (double) row.get("label_1")).isEqualTo(1.0);
      // The score beside each image is that image's.
      double chosenScore = (double) row.get("label_0") == 1.0 ? (double) row.get("score_0") : (double) row.get("score_1");
      assertThat(chosenScore).isEqualTo(h.getImage1Score());
    }
  }

  @Test
  void aTieIsHalfAndHalfAndASkipMakesNoRow() {
    HumanPreference tie = HumanPreference.newBuilder(ExampleEvents.humanPreference()).setChoice(PreferenceChoice.TIE).build();
    assertThat(DatasetRows.humanPreference(tie, 5)).containsEntry("label_0", 0.5).containsEntry("label_1", 0.5);
    HumanPreference first = HumanPreference.newBuilder(ExampleEvents.humanPreference()).setChoice(PreferenceChoice.IMAGE_0).build();
    Map<String, Object> row = DatasetRows.humanPreference(first, 5);
    assertThat((double) row.get("label_0") == 1.0 ? row.get("image_0_uri") : row.get("image_1_uri")).isEqualTo(first.getImage0Uri());
    for (PreferenceChoice none : List.of(PreferenceChoice.SKIP, PreferenceChoice.UNKNOWN)) {
      assertThat(DatasetRows.humanPreference(HumanPreference.newBuilder(first).setChoice(none).build(), 5)).as(none.name()).isNull();
    }
  }

  @Test
  void aPersonsRowAndTheModelsRowOfOnePairPutTheSameImageFirst() {
    for (int i = 0; i < 8; i++) {
      String a = "r" + i + "-0";
      String b = "r" + i + "-1";
      HumanPreference h = HumanPreference.newBuilder(ExampleEvents.humanPreference()).setPairId(a + "~" + b)
          .setImage0JobId(a).setImage1JobId(b).build();
      PreferencePair p = PreferencePair.newBuilder(ExampleEvents.pair()).setPairId(a + "~" + b).setChosenJobId(a).setRejectedJobId(b)
          .build();
      assertThat(DatasetRows.humanPreference(h, 5).get("image_0_job_id")).isEqualTo(DatasetRows.preference(p, 5).get("image_0_job_id"));
    }
  }

  @Test
  void aReviewIsARowBesideTheBadCasesAndAnUnknownDecisionMakesNone() {
    Map<String, Object> row = DatasetRows.humanVerdict(ExampleEvents.humanVerdict(), 5);
    assertThat(row).containsEntry("label_source", "human").containsEntry("annotator", "li.wei").containsEntry("decision", "OVERTURNED")
        .containsEntry("model_verdict", "BAD_CASE").containsEntry("job_id", "TEA-003-1").containsEntry("review_id", "review-7f3a")
        .containsEntry("reason", "the glyph is legible and the style matches");
    assertThat(row.get("split")).isEqualTo(DatasetRows.badCase(ExampleEvents.badCase(), 5).get("split"));
    HumanVerdict bare = HumanVerdict.newBuilder(ExampleEvents.humanVerdict()).setReason(null).setDecision(ReviewDecision.CONFIRMED)
        .setOverallScore(null).build();
    assertThat(DatasetRows.humanVerdict(bare, 5)).containsEntry("reason", null).containsEntry("decision", "CONFIRMED");
    assertThat(DatasetRows.humanVerdict(HumanVerdict.newBuilder(bare).setDecision(ReviewDecision.UNKNOWN).build(), 5)).isNull();
    assertThat(DatasetRows.badCase(ExampleEvents.badCase(), 5)).containsEntry("label_source", "reward_model");
  }

  @Test
  void theSplitDependsOnThePromptOnlyAndHonoursTheShare() {
    assertThat(DatasetRows.split("a teapot", 10)).isEqualTo(DatasetRows.split("a teapot", 10));
    long validation = IntStream.range(0, 2000).mapToObj(i -> DatasetRows.split("prompt " + i, 10))
        .filter(DatasetRows.VALIDATION::equals).count();
    assertThat(validation).isBetween(140L, 260L);
    assertThat(DatasetRows.split("x", 0)).isEqualTo(DatasetRows.TRAIN);
    assertThat(DatasetRows.split("x", 100)).isEqualTo(DatasetRows.VALIDATION);
  }

  @Test
  void aBadCaseRowCarriesScoresReasonsThresholdsAndModels() {
    Map<String, Object> row = DatasetRows.badCase(ExampleEvents.badCase(), 5);
    assertThat(row).containsEntry("job_id", "TEA-003-1").containsEntry("model_id", "mmdit-tiny")
        .containsEntry("reward_model_id", "reward-tiny").containsEntry("reason_codes", List.of("LOW_AESTHETIC", "MISALIGNED"));
    assertThat(((Map<?, ?>) row.get("scores")).keySet()).extracting(Object::toString).contains("aesthetic", "alignment_rewritten");
    assertThat(((Map<?, ?>) row.get("thresholds")).keySet()).extracting(Object::toString).contains("overall");
  }

  @Test
  void datePartitionsAreUtcDays() {
    assertThat(DatasetRows.datePartition(ExampleEvents.T0.toEpochMilli())).isEqualTo("date=2026-11-25");
  }
}
