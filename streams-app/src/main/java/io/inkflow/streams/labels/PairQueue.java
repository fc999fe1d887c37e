package io.inkflow.streams.labels;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.common.Digests;
import io.inkflow.common.config.EnvConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * Who judges which pair next, for pairwise preference labelling: pairs are served in the order they
 * were added; a configurable share of them (by default {@value #DEFAULT_OVERLAP_SHARE_PERCENT}%) goes to
 * at least {@link Settings#overlapAnnotators()} distinct annotators, so that annotator agreement can be
 * measured, and every other pair to one.
 *
 * <p>Which pairs overlap is decided by a hash of the pair id ({@link #overlaps}), never by chance or by
 * arrival, so a queue rebuilt after a restart (fed the same pairs, then the judgements read back from
 * {@code human-preferences} through {@link #record}) makes the same decisions. An annotator is never shown
 * the same pair twice. A pair served and not answered within the lease goes back to the others; a
 * skipped pair goes back at once, to someone else. The number of people answering a pair stays within
 * its requirement because a pair is handed out only while answers plus open leases are below it.
 *
 * <p>No Kafka or HTTP: the labelling console wires it. Thread-safe: every method locks the queue.
 */
public final class PairQueue {
  /** The default share of pairs judged by more than one annotator, in percent. */
  public static final int DEFAULT_OVERLAP_SHARE_PERCENT = 10;

  /**
   * How the queue assigns pairs.
   *
   * @param overlapShare the share of pairs (0..1) that go to {@code overlapAnnotators} annotators
   * @param overlapAnnotators how many distinct annotators judge an overlapping pair, at least 2
   * @param lease how long a served pair is held for its annotator before it goes back to the others
   */
  public record Settings(double overlapShare, int overlapAnnotators, Duration lease) {
    public Settings {
      if (!(overlapShare >= 0 && overlapShare <= 1)) {
        throw new IllegalArgumentException("overlap share must be within 0..1, found " + overlapShare);
      }
      if (overlapAnnotators < 2) {
        throw new IllegalArgumentException("an overlapping pair needs at least 2 annotators, found " + overlapAnnotators);
      }
      Objects.requireNonNull(lease, "lease");
      if (lease.isNegative() || lease.isZero()) {
        throw new IllegalArgumentException("lease must be positive, found " + lease);
      }
    }

    /** {@value #DEFAULT_OVERLAP_SHARE_PERCENT}% of pairs to two annotators, a 10-minute lease. */
    public static Settings defaults() {
      return new Settings(DEFAULT_OVERLAP_SHARE_PERCENT / 100.0, 2, Duration.ofMinutes(10));
    }

    /** Reads {@link #DEFINITION}'s variables from a service's configuration that includes them. */
    public static Settings from(EnvConfig config) {
      return new Settings(config.getInt(OVERLAP_PERCENT) / 100.0, config.getInt(OVERLAP_ANNOTATORS), config.getDuration(LEASE));
    }
  }

  public static final String OVERLAP_PERCENT = "INKFLOW_LABELS_OVERLAP_PERCENT";
  public static final String OVERLAP_ANNOTATORS = "INKFLOW_LABELS_OVERLAP_ANNOTATORS";
  public static final String LEASE = "INKFLOW_LABELS_LEASE";

  /**
   * The queue's variables, for the service that serves the labelling pages to merge into its own
   * declaration (and its README table).
   */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define(OVERLAP_PERCENT, Type.INT, DEFAULT_OVERLAP_SHARE_PERCENT, ConfigDef.Range.between(0, 100), Importance.MEDIUM,
          "share of preference pairs (chosen by a hash of the pair id) judged by several annotators, so that their agreement "
              + "can be measured")
      .define(OVERLAP_ANNOTATORS, Type.INT, 2, ConfigDef.Range.between(2, 100), Importance.LOW,
          "distinct annotators who judge each of those pairs")
      .define(LEASE, Type.STRING, Settings.defaults().lease().toString(), EnvConfig.duration(Duration.ofSeconds(1)), Importance.LOW,
          "how long a pair shown to an annotator is held for them before it goes to someone else");

  /** What {@link #record} did with a judgement. */
  public enum Recorded {
    /** An answer (IMAGE_0, IMAGE_1 or TIE) from an annotator who had not answered this pair. */
    ANSWERED,
    /** A further answer from an annotator who had already answered this pair: counted once. */
    CHANGED,
    /** A skip: the pair goes back to someone else; this annotator will not see it again. */
    SKIPPED,
    /** A judgement whose label id was already recorded. */
    DUPLICATE,
    /** A choice this version does not know (UNKNOWN): kept out of the counts. */
    IGNORED
  }

  /**
   * Counts over the queue.
   *
   * @param pairs pairs added
   * @param complete pairs answered by as many annotators as they need
   * @param overlapping pairs that need more than one annotator
   * @param answers distinct (pair, annotator) answers, on added pairs or not
   * @param skips distinct (pair, annotator) skips
   */
  public record Progress(int pairs, int complete, int overlapping, int answers, int skips) {}

  private final Settings settings;
  /** Every pair's state by pair id, in the order pairs (or their first judgements) arrived. */
  private final Map<String, PairState> states = new LinkedHashMap<>();
  /** Added pairs not yet complete, in the order they were added: what {@link #next} scans. */
  private final Map<String, PairState> open = new LinkedHashMap<>();
  private final Set<String> labelIds = new HashSet<>();

  public PairQueue(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** Whether pair {@code pairId} is among the overlapping share: the first 53 bits of its SHA-256 as a fraction, below the share. */
  public static boolean overlaps(String pairId, double share) {
    long bits = ByteBuffer.wrap(Digests.sha256(pairId.getBytes(StandardCharsets.UTF_8)), 0, 8).getLong() >>> 11;
    return bits * 0x1.0p-53 < share;
  }

  /** How many distinct annotators pair {@code pairId} needs under these settings. */
  public int required(String pairId) {
    return overlaps(pairId, settings.overlapShare()) ? settings.overlapAnnotators() : 1;
  }

  /** Adds a pair at the end of the queue; false when it was already added. */
  public synchronized boolean add(LabelPair pair) {
    PairState state = states.computeIfAbsent(pair.pairId(), id -> new PairState(required(id)));
    if (state.pair != null) {
      return false;
    }
    state.pair = pair;
    if (!state.complete()) {
      open.put(pair.pairId(), state);
    }
    return true;
  }

  /** Adds pairs in order; returns how many were new. */
  public synchronized int addAll(Collection<LabelPair> pairs) {
    int added = 0;
    for (LabelPair p : pairs) {
      if (add(p)) {
        added++;
      }
    }
    return added;
  }

  /**
   * The next pair for {@code annotator}, held for them until {@code now} plus the lease: the first pair in
   * queue order that they have never been shown and that still needs more annotators than it has answers
   * and open leases. Empty when there is none.
   */
  public synchronized Optional<LabelPair> next(String annotator, Instant now) {
    Objects.requireNonNull(annotator, "annotator");
    for (PairState state : open.values()) {
      state.expireLeases(now);
      if (state.shown.contains(annotator) || state.answered.size() + state.leases.size() >= state.required) {
        continue;
      }
      state.shown.add(annotator);
      state.leases.put(annotator, now.plus(settings.lease()));
      return Optional.of(state.pair);
    }
    return Optional.empty();
  }

  /** {@code annotator} leaves pair {@code pairId} unanswered (closed the page): it goes back to the others now. */
  public synchronized void release(String pairId, String annotator) {
    PairState state = states.get(pairId);
    if (state != null) {
      state.leases.remove(annotator);
    }
  }

  /**
   * Records a judgement, from the labelling tool or replayed from {@code human-preferences}: any value
   * is accepted (never throws for a well-formed event), duplicates by label id are counted once. A pair
   * not added yet keeps its judgements until it is.
   */
  public synchronized Recorded record(HumanPreference judgement) {
    if (!labelIds.add(judgement.getLabelId())) {
      return Recorded.DUPLICATE;
    }
    PreferenceChoice choice = judgement.getChoice();
    if (choice == null || choice == PreferenceChoice.UNKNOWN) {
      return Recorded.IGNORED;
    }
    String pairId = judgement.getPairId();
    String annotator = judgement.getAnnotator();
    PairState state = states.computeIfAbsent(pairId, id -> new PairState(required(id)));
    state.leases.remove(annotator);
    state.shown.add(annotator);
    Recorded outcome;
    if (choice == PreferenceChoice.SKIP) {
      state.skipped.add(annotator);
      outcome = Recorded.SKIPPED;
    } else {
      outcome = state.answered.add(annotator) ? Recorded.ANSWERED : Recorded.CHANGED;
    }
    if (state.complete()) {
      open.remove(pairId);
    }
    return outcome;
  }

  /** Whether pair {@code pairId} has as many answers as it needs. */
  public synchronized boolean isComplete(String pairId) {
    PairState state = states.get(pairId);
    return state != null && state.complete();
  }

  /** The annotators who answered pair {@code pairId} (skips excluded), in the order they answered. */
  public synchronized Set<String> answeredBy(String pairId) {
    PairState state = states.get(pairId);
    return state == null ? Set.of() : Set.copyOf(state.answered);
  }

  /** Counts over the queue. */
  public synchronized Progress progress() {
    int pairs = 0;
    int complete = 0;
    int overlapping = 0;
    int answers = 0;
    int skips = 0;
    for (PairState s : states.values()) {
      if (s.pair != null) {
        pairs++;
        complete += s.complete() ? 1 : 0;
        overlapping += s.required > 1 ? 1 : 0;
      }
      answers += s.answered.size();
      skips += s.skipped.size();
    }
    return new Progress(pairs, complete, overlapping, answers, skips);
  }

  private static final class PairState {
    final int required;
    LabelPair pair;
    final Set<String> answered = new LinkedHashSet<>();
    final Set<String> skipped = new HashSet<>();
    final Set<String> shown = new HashSet<>();
    final Map<String, Instant> leases = new HashMap<>();

    PairState(int required) {
      this.required = required;
    }

    boolean complete() {
      return answered.size() >= required;
    }

    void expireLeases(Instant now) {
      for (Iterator<Instant> it = leases.values().iterator(); it.hasNext(); ) {
        if (!it.next().isAfter(now)) {
          it.remove();
        }
      }
    }
  }
}
