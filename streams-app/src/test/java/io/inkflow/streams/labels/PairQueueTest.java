package io.inkflow.streams.labels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.common.config.EnvConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PairQueueTest {
  static final Instant T = Instant.parse("2026-12-01T10:00:00Z");
  static final PairQueue.Settings ONE_EACH = new PairQueue.Settings(0.0, 2, Duration.ofMinutes(10));
  static final PairQueue.Settings TWO_EACH = new PairQueue.Settings(1.0, 2, Duration.ofMinutes(10));

  static LabelPair pair(String request) {
    return new LabelPair(LabelPair.pairId(request + "-0", request + "-1"), request, "b1", "prompt " + request, null,
        new LabelPair.Image(request + "-0", 0, "s3://b/" + request + "/0.png", 0.6),
        new LabelPair.Image(request + "-1", 1, "s3://b/" + request + "/1.png", 0.4));
  }

  static HumanPreference answer(LabelPair p, String annotator, PreferenceChoice choice) {
    return p.judgement(p.pairId() + "/" + annotator + "/" + choice, annotator, choice, false, 900, T);
  }

  static String id(Optional<LabelPair> p) {
    return p.map(LabelPair::pairId).orElse("none");
  }

  @Test
  void theDefaultSendsTenPercentOfPairsToTwoAnnotatorsChosenByTheirIdAlone() {
    PairQueue q = new PairQueue(PairQueue.Settings.defaults());
    List<String> ids = IntStream.range(0, 20_000).mapToObj(i -> LabelPair.pairId("req" + i + "-0", "req" + i + "-1")).toList();
    long overlapping = ids.stream().filter(id -> q.required(id) == 2).count();
    assertThat(overlapping).isBetween(1_800L, 2_200L);
    assertThat(ids.stream().mapToInt(q::required)).allMatch(n -> n == 1 || n == 2);
    // Another queue (a restart) decides the same for every pair.
    PairQueue again = new PairQueue(PairQueue.Settings.defaults());
    assertThat(ids.stream().filter(id -> again.required(id) == 2).count()).isEqualTo(overlapping);
    assertThat(ids).allMatch(id -> q.required(id) == again.required(id));
    assertThat(PairQueue.overlaps("anything", 0.0)).isFalse();
    assertThat(PairQueue.overlaps("anything", 1.0)).isTrue();
  }

  @Test
  void pairsAreServedInOrderOncePerAnnotatorAndToOneAnnotatorEach() {
    PairQueue q = new PairQueue(ONE_EACH);
    LabelPair a = pair("a");
    LabelPair b = pair("b");
    assertThat(q.addAll(List.of(a, b, a))).isEqualTo(2);
    assertThat(id(q.next("ann", T))).isEqualTo(a.pairId());
    // a is held for ann: bob gets the next one, and nobody else gets anything.
    assertThat(id(q.next("bob", T))).isEqualTo(b.pairId());
    assertThat(q.next("cy", T)).isEmpty();
    // ann asks again without answering: never the same pair twice, and b is held for bob.
    assertThat(q.next("ann", T)).isEmpty();
    assertThat(q.record(answer(a, "ann", PreferenceChoice.IMAGE_0))).isEqualTo(PairQueue.Recorded.ANSWERED);
    assertThat(q.record(answer(b, "bob", PreferenceChoice.TIE))).isEqualTo(PairQueue.Recorded.ANSWERED);
    assertThat(q.isComplete(a.pairId())).isTrue();
    assertThat(q.next("cy", T)).isEmpty();
    assertThat(q.progress()).isEqualTo(new PairQueue.Progress(2, 2, 0, 2, 0));
  }

  @Test
  void anOverlappingPairGoesToTwoDistinctAnnotatorsAndNoThird() {
    PairQueue q = new PairQueue(TWO_EACH);
    LabelPair a = pair("a");
    q.add(a);
    assertThat(id(q.next("ann", T))).isEqualTo(a.pairId());
    assertThat(id(q.next("bob", T))).isEqualTo(a.pairId());
    assertThat(q.next("cy", T)).isEmpty();
    q.record(answer(a, "ann", PreferenceChoice.IMAGE_1));
    assertThat(q.isComplete(a.pairId())).isFalse();
    q.record(answer(a, "bob", PreferenceChoice.IMAGE_1));
    assertThat(q.isComplete(a.pairId())).isTrue();
    assertThat(q.answeredBy(a.pairId())).containsExactlyInAnyOrder("ann", "bob");
    assertThat(q.next("cy", T.plusSeconds(3600))).isEmpty();
    assertThat(q.progress()).isEqualTo(new PairQueue.Progress(1, 1, 1, 2, 0));
  }

  @Test
  void aSkippedPairGoesToSomeoneElseAtOnceAndNeverBackToWhoSkippedIt() {
    PairQueue q = new PairQueue(ONE_EACH);
    LabelPair a = pair("a");
    q.add(a);
    assertThat(id(q.next("ann", T))).isEqualTo(a.pairId());
    assertThat(q.next("bob", T)).isEmpty();
    assertThat(q.record(answer(a, "ann", PreferenceChoice.SKIP))).isEqualTo(PairQueue.Recorded.SKIPPED);
    assertThat(q.isComplete(a.pairId())).isFalse();
    assertThat(q.next("ann", T)).isEmpty();
    assertThat(id(q.next("bob", T))).isEqualTo(a.pairId());
    assertThat(q.progress().skips()).isEqualTo(1);
  }

  @Test
  void anUnansweredPairGoesBackToTheOthersWhenItsLeaseEndsOrItIsReleased() {
    PairQueue q = new PairQueue(ONE_EACH);
    LabelPair a = pair("a");
    LabelPair b = pair("b");
    q.addAll(List.of(a, b));
    assertThat(id(q.next("ann", T))).isEqualTo(a.pairId());
    assertThat(id(q.next("bob", T.plus(Duration.ofMinutes(9))))).isEqualTo(b.pairId());
    assertThat(q.next("cy", T.plus(Duration.ofMinutes(9)))).isEmpty();
    assertThat(id(q.next("cy", T.plus(Duration.ofMinutes(10))))).isEqualTo(a.pairId());
    q.release(b.pairId(), "bob");
    assertThat(id(q.next("dan", T.plus(Duration.ofMinutes(10))))).isEqualTo(b.pairId());
    // ann was shown a and let it lapse: it is cy's now, and ann does not see it again (b is held for dan).
    assertThat(q.next("ann", T.plus(Duration.ofMinutes(15)))).isEmpty();
  }

  @Test
  void duplicatesAreCountedOnceAndASecondAnswerOfOneAnnotatorIsNotASecondAnnotator() {
    PairQueue q = new PairQueue(TWO_EACH);
    LabelPair a = pair("a");
    q.add(a);
    HumanPreference first = answer(a, "ann", PreferenceChoice.IMAGE_0);
    assertThat(q.record(first)).isEqualTo(PairQueue.Recorded.ANSWERED);
    assertThat(q.record(first)).isEqualTo(PairQueue.Recorded.DUPLICATE);
    assertThat(q.record(answer(a, "ann", PreferenceChoice.IMAGE_1))).isEqualTo(PairQueue.Recorded.CHANGED);
    assertThat(q.isComplete(a.pairId())).isFalse();
    HumanPreference unknown = HumanPreference.newBuilder(answer(a, "bob", PreferenceChoice.IMAGE_0)).setLabelId("u")
        .setChoice(PreferenceChoice.UNKNOWN).build();
    assertThat(q.record(unknown)).isEqualTo(PairQueue.Recorded.IGNORED);
    assertThat(q.isComplete(a.pairId())).isFalse();
    assertThat(q.progress().answers()).isEqualTo(1);
  }

  @Test
  void aQueueRebuiltFromItsJudgementsInAnyOrderServesWhatTheFirstWould() {
    PairQueue.Settings settings = new PairQueue.Settings(0.5, 2, Duration.ofMinutes(10));
    List<LabelPair> pairs = IntStream.range(0, 40).mapToObj(i -> pair("r" + i)).toList();
    PairQueue live = new PairQueue(settings);
    live.addAll(pairs);
    List<HumanPreference> log = new ArrayList<>();
    for (String annotator : List.of("ann", "bob")) {
      for (int i = 0; i < 15; i++) {
        LabelPair p = live.next(annotator, T).orElseThrow();
        HumanPreference j = answer(p, annotator, i % 5 == 0 ? PreferenceChoice.SKIP : PreferenceChoice.IMAGE_0);
        live.record(j);
        log.add(j);
      }
    }
    // Judgements read back before the pairs, duplicated: the same state.
    PairQueue rebuilt = new PairQueue(settings);
    log.forEach(rebuilt::record);
    log.forEach(rebuilt::record);
    rebuilt.addAll(pairs);
    assertThat(rebuilt.progress()).isEqualTo(live.progress());
    for (String annotator : List.of("ann", "bob", "cy")) {
      assertThat(id(rebuilt.next(annotator, T))).as(annotator).isEqualTo(id(live.next(annotator, T)));
    }
  }

  @Test
  void settingsComeFromTheEnvironmentWithTheDefaultsWhenUnset() {
    assertThat(PairQueue.Settings.from(new EnvConfig(PairQueue.DEFINITION, Map.of()))).isEqualTo(PairQueue.Settings.defaults());
    PairQueue.Settings s = PairQueue.Settings.from(new EnvConfig(PairQueue.DEFINITION,
        Map.of(PairQueue.OVERLAP_PERCENT, "25", PairQueue.OVERLAP_ANNOTATORS, "3", PairQueue.LEASE, "PT2M")));
    assertThat(s).isEqualTo(new PairQueue.Settings(0.25, 3, Duration.ofMinutes(2)));
    assertThatThrownBy(() -> new EnvConfig(PairQueue.DEFINITION, Map.of(PairQueue.OVERLAP_PERCENT, "101")))
        .hasMessageContaining(PairQueue.OVERLAP_PERCENT);
    assertThatThrownBy(() -> new EnvConfig(PairQueue.DEFINITION, Map.of(PairQueue.OVERLAP_ANNOTATORS, "1")))
        .hasMessageContaining(PairQueue.OVERLAP_ANNOTATORS);
  }

  @Test
  void settingsAreChecked() {
    assertThatThrownBy(() -> new PairQueue.Settings(1.5, 2, Duration.ofMinutes(1))).hasMessageContaining("0..1");
    assertThatThrownBy(() -> new PairQueue.Settings(Double.NaN, 2, Duration.ofMinutes(1))).hasMessageContaining("0..1");
    assertThatThrownBy(() -> new PairQueue.Settings(0.1, 1, Duration.ofMinutes(1))).hasMessageContaining("at least 2");
    assertThatThrownBy(() -> new PairQueue.Settings(0.1, 2, Duration.ZERO)).hasMessageContaining("positive");
  }
}
