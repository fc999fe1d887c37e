package io.inkflow.streams.export;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.PreferencePair;
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
    }
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
