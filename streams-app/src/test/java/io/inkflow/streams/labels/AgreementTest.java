package io.inkflow.streams.labels;

import static io.inkflow.avro.PreferenceChoice.IMAGE_0;
import static io.inkflow.avro.PreferenceChoice.IMAGE_1;
import static io.inkflow.avro.PreferenceChoice.SKIP;
import static io.inkflow.avro.PreferenceChoice.TIE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.testing.ExampleEvents;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgreementTest {
  private int next;

  /** A judgement on pair {@code pair} of batch {@code batch} whose model scores are {@code s0} and {@code s1}. */
  HumanPreference j(String batch, String pair, String annotator, PreferenceChoice choice, Double s0, Double s1) {
    return HumanPreference.newBuilder(ExampleEvents.humanPreference()).setLabelId("l" + next++).setBatchId(batch).setPairId(pair)
        .setAnnotator(annotator).setChoice(choice).setImage0Score(s0).setImage1Score(s1)
        .setLabelledAt(ExampleEvents.T0.plusSeconds(next)).build();
  }

  @Test
  void peopleAgainstTheModelByHand() {
    List<HumanPreference> labels = new ArrayList<>();
    // Model prefers image 0 on p1..p4, image 1 on p5..p6, tie on p7 (equal scores).
    labels.add(j("b", "p1", "ann", IMAGE_0, 0.9, 0.1)); // agree
    labels.add(j("b", "p2", "ann", IMAGE_0, 0.8, 0.2)); // agree
    labels.add(j("b", "p3", "ann", IMAGE_1, 0.7, 0.3)); // disagree
    labels.add(j("b", "p4", "ann", TIE, 0.6, 0.4)); // disagree: a tie is its own category
    labels.add(j("b", "p5", "ann", IMAGE_1, 0.2, 0.9)); // agree
    labels.add(j("b", "p6", "ann", IMAGE_0, 0.3, 0.8)); // disagree
    labels.add(j("b", "p7", "ann", TIE, 0.5, 0.5)); // agree
    labels.add(j("b", "p8", "ann", SKIP, 0.9, 0.1)); // left out: skip
    labels.add(j("b", "p9", "ann", IMAGE_0, null, 0.1)); // left out: unscored
    labels.add(j("b", "p10", "ann", IMAGE_0, Double.NaN, 0.1)); // left out: not finite
    Agreement.ModelVsPeople m = Agreement.modelVsPeople(labels);
    assertThat(m.n()).isEqualTo(7);
    assertThat(m.agreed()).isEqualTo(4);
    assertThat(m.rate()).isCloseTo(4.0 / 7, within(1e-12));
    // Model rows (IMAGE_0, IMAGE_1, TIE) x person columns:
    //   IMAGE_0: [2, 1, 1]   IMAGE_1: [1, 1, 0]   TIE: [0, 0, 1]
    // po = 4/7; model marginals 4, 2, 1; person marginals 3, 2, 2; pe = (12 + 4 + 2) / 49 = 18/49.
    // kappa = (4/7 - 18/49) / (1 - 18/49) = (28 - 18) / (49 - 18) = 10/31.
    assertThat(m.kappa().expected()).isCloseTo(18.0 / 49, within(1e-12));
    assertThat(m.kappa().value()).isCloseTo(10.0 / 31, within(1e-12));
  }

  @Test
  void annotatorsAgainstEachOtherOverTheOverlappingPairsOnlyByHand() {
    List<HumanPreference> labels = new ArrayList<>();
    String[][] overlap = { // pair, ann's choice, bob's choice
        {"p1", "IMAGE_0", "IMAGE_0"}, {"p2", "IMAGE_0", "IMAGE_0"}, {"p3", "IMAGE_1", "IMAGE_1"}, {"p4", "IMAGE_1", "IMAGE_0"},
        {"p5", "TIE", "TIE"}, {"p6", "TIE", "IMAGE_1"}};
    for (String[] row : overlap) {
      labels.add(j("b", row[0], "ann", PreferenceChoice.valueOf(row[1]), 0.6, 0.4));
      labels.add(j("b", row[0], "bob", PreferenceChoice.valueOf(row[2]), 0.6, 0.4));
    }
    labels.add(j("b", "p7", "ann", IMAGE_0, 0.6, 0.4)); // judged once: not an overlap
    labels.add(j("b", "p8", "ann", IMAGE_0, 0.6, 0.4));
    labels.add(j("b", "p8", "bob", SKIP, 0.6, 0.4)); // a skip is no judgement: not an overlap either
    Agreement.BetweenAnnotators a = Agreement.betweenAnnotators(labels);
    // ann rows x bob columns: IMAGE_0 [2, 0, 0], IMAGE_1 [1, 1, 0], TIE [0, 1, 1]. n = 6, po = 4/6.
    // ann marginals 2, 2, 2; bob 3, 2, 1; pe = (6 + 4 + 2) / 36 = 1/3; kappa = (2/3 - 1/3) / (2/3) = 0.5.
    assertThat(a.pairs()).singleElement().satisfies(p -> {
      assertThat(p.annotatorA()).isEqualTo("ann");
      assertThat(p.annotatorB()).isEqualTo("bob");
      assertThat(p.kappa().n()).isEqualTo(6);
      assertThat(p.kappa().value()).isCloseTo(0.5, within(1e-12));
    });
    assertThat(a.pooled().n()).isEqualTo(6);
    assertThat(a.pooled().value()).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void threeAnnotatorsOnOnePairMakeThreeComparisons() {
    List<HumanPreference> labels = List.of(j("b", "p1", "cy", IMAGE_0, 0.6, 0.4), j("b", "p1", "ann", IMAGE_0, 0.6, 0.4),
        j("b", "p1", "bob", IMAGE_1, 0.6, 0.4));
    Agreement.BetweenAnnotators a = Agreement.betweenAnnotators(labels);
    assertThat(a.pairs()).extracting(p -> p.annotatorA() + "/" + p.annotatorB()).containsExactly("ann/bob", "ann/cy", "bob/cy");
    assertThat(a.pooled().n()).isEqualTo(3);
    // One item each: ann/cy agree on IMAGE_0 alone, so their kappa is undefined; ann/bob disagree: po = 0, pe = 0, kappa 0.
    assertThat(a.pairs().get(1).kappa().defined()).isFalse();
    assertThat(a.pairs().get(0).kappa().value()).isZero();
  }

  @Test
  void degenerateCasesAreUndefinedNotZero() {
    Agreement.ModelVsPeople none = Agreement.modelVsPeople(List.of());
    assertThat(none.n()).isZero();
    assertThat(none.rate()).isNaN();
    assertThat(none.kappa().defined()).isFalse();
    assertThat(Agreement.betweenAnnotators(List.of(j("b", "p1", "ann", IMAGE_0, 0.6, 0.4))).pooled().n()).isZero();
    // Everyone says image 0 and so does the model: full agreement, kappa undefined.
    Agreement.ModelVsPeople same = Agreement.modelVsPeople(List.of(j("b", "p1", "ann", IMAGE_0, 0.9, 0.1),
        j("b", "p2", "bob", IMAGE_0, 0.8, 0.1)));
    assertThat(same.rate()).isEqualTo(1.0);
    assertThat(same.kappa().defined()).isFalse();
    // Only skips: nothing to compare.
    assertThat(Agreement.modelVsPeople(List.of(j("b", "p1", "ann", SKIP, 0.9, 0.1))).n()).isZero();
  }

  @Test
  void duplicatesCountOnceAndAnAnnotatorsLatestAnswerCounts() {
    HumanPreference first = j("b", "p1", "ann", IMAGE_1, 0.9, 0.1);
    HumanPreference changed = j("b", "p1", "ann", IMAGE_0, 0.9, 0.1);
    assertThat(Agreement.current(List.of(first, first, changed))).containsExactly(changed);
    // Read in another order (e.g. two partitions), the later answer still wins.
    assertThat(Agreement.current(List.of(changed, first))).containsExactly(changed);
    Agreement.ModelVsPeople m = Agreement.modelVsPeople(List.of(first, changed, first));
    assertThat(m.n()).isEqualTo(1);
    assertThat(m.agreed()).isEqualTo(1);
  }

  @Test
  void figuresArePerBatchWithRequestsWithoutABatchLast() {
    List<HumanPreference> labels = List.of(j("b2", "p1", "ann", IMAGE_0, 0.9, 0.1), j(null, "p2", "ann", IMAGE_1, 0.9, 0.1),
        j("b1", "p3", "ann", SKIP, 0.9, 0.1), j("b1", "p4", "ann", IMAGE_0, 0.9, 0.1), j("b1", "p4", "bob", IMAGE_0, 0.9, 0.1));
    List<Agreement.BatchAgreement> batches = Agreement.byBatch(labels);
    assertThat(batches).extracting(Agreement.BatchAgreement::batchId).containsExactly("b1", "b2", null);
    Agreement.BatchAgreement b1 = batches.get(0);
    assertThat(b1.judgements()).isEqualTo(3);
    assertThat(b1.skips()).isEqualTo(1);
    assertThat(b1.model().n()).isEqualTo(2);
    assertThat(b1.annotators().pooled().n()).isEqualTo(1);
    assertThat(batches.get(2).model().agreed()).isZero();
  }
}
