package io.inkflow.streams.labels;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.testing.arbitrary.ArbitraryEvents;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * The pair queue under arbitrary sessions: annotators with hostile names (bidi overrides, zero-width
 * joiners, markup, blank, huge) asking for pairs, answering, skipping or walking away while time passes.
 * Nobody is shown a pair twice; no pair gets more annotators than it needs; once everyone has worked
 * through the queue, every pair is complete or has been shown to everyone; and a queue rebuilt from the
 * recorded judgements counts the same.
 */
class PairQueuePropertyTest {
  static final Instant T = Instant.parse("2026-12-01T10:00:00Z");

  enum Action { ANSWER, TIE, SKIP, WALK_AWAY }

  record Step(int annotator, Action action, int minutes) {}

  record Session(int pairs, double share, List<String> annotators, List<Step> steps) {}

  @Provide
  Arbitrary<Session> sessions() {
    Arbitrary<List<String>> names = ArbitraryEvents.annotators().list().ofMinSize(1).ofMaxSize(5).uniqueElements();
    return Combinators.combine(Arbitraries.integers().between(1, 30), Arbitraries.of(0.0, 0.1, 0.5, 1.0), names,
            Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.of(Action.class), Arbitraries.integers().between(0, 15))
                .as(Step::new).list().ofMaxSize(80))
        .as((pairs, share, annotators, steps) -> new Session(pairs, share, annotators,
            steps.stream().map(s -> new Step(s.annotator() % annotators.size(), s.action(), s.minutes())).toList()));
  }

  @Property(seed = "2211")
  void nobodySeesAPairTwiceAndNoPairGetsMoreAnnotatorsThanItNeeds(@ForAll("sessions") Session s) {
    PairQueue.Settings settings = new PairQueue.Settings(s.share(), 2, Duration.ofMinutes(10));
    PairQueue queue = new PairQueue(settings);
    List<LabelPair> pairs = IntStream.range(0, s.pairs()).mapToObj(i -> PairQueueTest.pair("r" + i)).toList();
    queue.addAll(pairs);
    Map<String, Set<String>> shown = new HashMap<>();
    List<HumanPreference> log = new ArrayList<>();
    Instant now = T;
    int[] labels = {0};
    for (Step step : s.steps()) {
      now = now.plus(Duration.ofMinutes(step.minutes()));
      serve(queue, s.annotators().get(step.annotator()), step.action(), now, shown, log, labels);
    }
    // Everyone works through what is left, long after every lease has lapsed.
    now = now.plus(Duration.ofDays(1));
    boolean served = true;
    while (served) {
      served = false;
      for (String annotator : s.annotators()) {
        served |= serve(queue, annotator, Action.ANSWER, now, shown, log, labels);
      }
    }
    for (LabelPair p : pairs) {
      assertThat(queue.answeredBy(p.pairId()).size()).as("annotators of %s", p.pairId()).isLessThanOrEqualTo(queue.required(p.pairId()));
      if (!queue.isComplete(p.pairId())) {
        assertThat(shown.getOrDefault(p.pairId(), Set.of())).as("an incomplete pair was shown to everyone")
            .containsExactlyInAnyOrderElementsOf(s.annotators());
      }
    }
    Statistics.label("complete").collect(queue.progress().complete() == s.pairs() ? "all" : "some incomplete");
    PairQueue rebuilt = new PairQueue(settings);
    log.forEach(rebuilt::record);
    rebuilt.addAll(pairs);
    assertThat(rebuilt.progress()).isEqualTo(queue.progress());
  }

  private static boolean serve(PairQueue queue, String annotator, Action action, Instant now, Map<String, Set<String>> shown,
      List<HumanPreference> log, int[] labels) {
    Optional<LabelPair> next = queue.next(annotator, now);
    if (next.isEmpty()) {
      return false;
    }
    LabelPair p = next.get();
    assertThat(shown.computeIfAbsent(p.pairId(), k -> new HashSet<>()).add(annotator))
        .as("%s shown %s a second time", p.pairId(), annotator).isTrue();
    PreferenceChoice choice = switch (action) {
      case ANSWER -> PreferenceChoice.IMAGE_0;
      case TIE -> PreferenceChoice.TIE;
      case SKIP -> PreferenceChoice.SKIP;
      case WALK_AWAY -> null;
    };
    if (choice != null) {
      HumanPreference j = p.judgement("label-" + labels[0]++, annotator, choice, false, 1_000, now);
      queue.record(j);
      log.add(j);
    }
    return true;
  }
}
