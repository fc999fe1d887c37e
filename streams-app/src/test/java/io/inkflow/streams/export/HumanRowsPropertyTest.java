package io.inkflow.streams.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.ReviewDecision;
import io.inkflow.testing.arbitrary.ArbitraryEvents;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * People's labels as dataset rows, for arbitrary judgements (hostile annotator names and prompts, every
 * optional field absent, every choice): a row exactly when there is a label, labels that sum to 1 with
 * the chosen image's at 1 (both 0.5 on a tie), and the annotator and caption through JSON unchanged.
 */
class HumanRowsPropertyTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Provide
  Arbitrary<HumanPreference> preferences() {
    return ArbitraryEvents.humanPreferences();
  }

  @Provide
  Arbitrary<HumanVerdict> verdicts() {
    return ArbitraryEvents.humanVerdicts();
  }

  @Property(seed = "3301")
  void aJudgementIsARowExactlyWhenItIsALabel(@ForAll("preferences") HumanPreference h) throws Exception {
    Map<String, Object> row = DatasetRows.humanPreference(h, 5);
    PreferenceChoice c = h.getChoice();
    Statistics.label("choice").collect(c.name());
    if (c == PreferenceChoice.SKIP || c == PreferenceChoice.UNKNOWN) {
      assertThat(row).isNull();
      return;
    }
    double l0 = (double) row.get("label_0");
    double l1 = (double) row.get("label_1");
    assertThat(l0 + l1).isEqualTo(1.0);
    if (c == PreferenceChoice.TIE) {
      assertThat(l0).isEqualTo(0.5);
    } else {
      String chosen = c == PreferenceChoice.IMAGE_0 ? h.getImage0Uri() : h.getImage1Uri();
      String other = c == PreferenceChoice.IMAGE_0 ? h.getImage1Uri() : h.getImage0Uri();
      assertThat(l0 == 1.0 ? row.get("image_0_uri") : row.get("image_1_uri")).isEqualTo(chosen);
      assertThat(l0 == 1.0 ? row.get("image_1_uri") : row.get("image_0_uri")).isEqualTo(other);
    }
    JsonNode read = JSON.readTree(JSON.writeValueAsString(row));
    assertThat(read.get("annotator").asText()).isEqualTo(afterJson(h.getAnnotator()));
    assertThat(read.get("caption").asText()).isEqualTo(afterJson(h.getOriginalPrompt()));
    assertThat(read.get("label_source").asText()).isEqualTo("human");
  }

  @Property(seed = "3302")
  void aReviewIsARowExactlyWhenItHasADecision(@ForAll("verdicts") HumanVerdict v) throws Exception {
    Map<String, Object> row = DatasetRows.humanVerdict(v, 5);
    if (v.getDecision() == ReviewDecision.UNKNOWN) {
      assertThat(row).isNull();
      return;
    }
    JsonNode read = JSON.readTree(JSON.writeValueAsString(row));
    assertThat(read.get("annotator").asText()).isEqualTo(afterJson(v.getReviewer()));
    assertThat(read.get("decision").asText()).isEqualTo(v.getDecision().name());
    assertThat(read.get("reason").isNull()).isEqualTo(v.getReason() == null);
  }

  /** What a string reads back as after Jackson wrote it: a lone surrogate cannot survive (the serde refuses such events anyway). */
  private static String afterJson(String s) throws Exception {
    return JSON.readTree(JSON.writeValueAsString(Map.of("s", s))).get("s").asText();
  }
}
