package io.inkflow.streams.results;

import io.inkflow.avro.BadCase;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.common.LogText;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Best-of-N per request: gathers each request's scored variants in a store keyed by requestId and
 * emits exactly one {@link RequestResult} when all numVariants are terminal or when the request
 * timeout, counted on the wall clock from the first variant, has passed. With the result go the
 * request's preference pairs and its bad cases (which then know all their siblings). A variant that
 * arrives after the result is counted as late and never causes a second result.
 *
 * <p>Deadlines live in a second store keyed by zero-padded time, so the punctuation reads only the
 * expired ones; the same index later forgets finished requests after the retention.
 *
 * <p>Whoever wires it adds the stores {@link #REQUESTS_STORE} and {@link #DEADLINES_STORE} and the
 * children it forwards to: {@link #RESULTS_SINK}, {@link #PAIRS_SINK}, {@link #BAD_CASES_SINK}.
 */
public final class RequestAggregator implements Processor<String, ScoredImage, Object, Object> {
  /** Each request's variants so far, or its done marker, by requestId. */
  public static final String REQUESTS_STORE = "scoring-requests";
  /** Deadlines and forget times, by zero-padded time then requestId. */
  public static final String DEADLINES_STORE = "scoring-request-deadlines";

  /** This processor's stores, with their value codecs: a request's progress (versioned) and the deadline index. */
  public static List<StoreBuilder<?>> stores() {
    return List.of(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(REQUESTS_STORE), Serdes.String(), RequestProgress.SERDE).withCachingEnabled(),
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DEADLINES_STORE), Serdes.String(), Serdes.String()).withCachingEnabled());
  }
  /** Child that receives the {@code RequestResult}s. */
  public static final String RESULTS_SINK = "request-results-sink";
  /** Child that receives the {@code PreferencePair}s. */
  public static final String PAIRS_SINK = "preference-pairs-sink";
  /** Child that receives the {@code BadCase}s. */
  public static final String BAD_CASES_SINK = "bad-cases-sink";
  private static final Logger LOG = LoggerFactory.getLogger(RequestAggregator.class);
  static final String STAGE = "request-aggregation";
  private static final String DECIDE = "decide";
  private static final String FORGET = "forget";

  /**
   * When requests are decided and forgotten, and which pairs are kept.
   *
   * @param requestTimeout a request's deadline, from its first variant (wall clock)
   * @param timeoutCheckInterval how often deadlines are checked
   * @param retention how long a done marker turns late variants away
   * @param minPairMargin smallest score margin that makes a preference pair
   */
  public record Settings(Duration requestTimeout, Duration timeoutCheckInterval, Duration retention, double minPairMargin) {}

  private final String metricsScope;
  private final Settings settings;
  private final Map<String, Double> thresholds;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, RequestProgress> requests;
  private KeyValueStore<String, String> deadlines;
  private Sensor results;
  private Sensor timeouts;
  private Sensor late;
  private Sensor pairs;
  private Sensor badCases;

  /**
   * @param metricsScope the stage's metrics scope (its sensors join the stage's group)
   * @param settings timeouts, retention and the pair margin
   * @param thresholds the thresholds that judged the images, recorded on each bad case
   */
  public RequestAggregator(String metricsScope, Settings settings, Map<String, Double> thresholds) {
    this.metricsScope = metricsScope;
    this.settings = settings;
    this.thresholds = Collections.unmodifiableMap(new LinkedHashMap<>(thresholds)); // in the policy's order
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    requests = context.getStateStore(REQUESTS_STORE);
    deadlines = context.getStateStore(DEADLINES_STORE);
    var metrics = context.metrics();
    results = metrics.addRateTotalSensor(metricsScope, STAGE, "request-results", Sensor.RecordingLevel.INFO);
    timeouts = metrics.addRateTotalSensor(metricsScope, STAGE, "request-timeouts", Sensor.RecordingLevel.INFO);
    late = metrics.addRateTotalSensor(metricsScope, STAGE, "late-variants", Sensor.RecordingLevel.INFO);
    pairs = metrics.addRateTotalSensor(metricsScope, STAGE, "preference-pairs", Sensor.RecordingLevel.INFO);
    badCases = metrics.addRateTotalSensor(metricsScope, STAGE, "bad-cases", Sensor.RecordingLevel.INFO);
    context.schedule(settings.timeoutCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::expire);
  }

  @Override
  public void process(Record<String, ScoredImage> record) {
    ScoredImage s = record.value();
    String requestId = record.key();
    long now = context.currentSystemTimeMs();
    RequestProgress progress = requests.get(requestId);
    if (progress != null && progress.done()) {
      late.record();
      LOG.warn("late variant {} of request {} ({}): its result was decided at {}; no second result",
          LogText.of(s.getImage().getJob().getJobId()), LogText.of(requestId), s.getVerdict(), Instant.ofEpochMilli(progress.since()));
      if (s.getVerdict() == Verdict.BAD_CASE) {
        context.forward(new Record<>(requestId, badCase(s, List.of(), now), now), BAD_CASES_SINK);
        badCases.record();
      }
      return;
    }
    if (progress == null) {
      progress = new RequestProgress(false, now, s.getImage().getJob().getNumVariants(), List.of());
      deadlines.put(indexKey(now + settings.requestTimeout().toMillis(), requestId), DECIDE);
    }
    String jobId = s.getImage().getJob().getJobId();
    if (progress.variants().stream().anyMatch(v -> v.getImage().getJob().getJobId().equals(jobId))) {
      return;
    }
    List<ScoredImage> variants = new ArrayList<>(progress.variants());
    variants.add(s);
    progress = new RequestProgress(false, progress.since(), progress.numVariants(), variants);
    if (variants.size() >= progress.numVariants()) {
      decide(requestId, progress, now);
    } else {
      requests.put(requestId, progress);
    }
  }

  /** Emits the result, pairs and bad cases, and leaves a done marker that is forgotten after the retention. */
  private void decide(String requestId, RequestProgress progress, long now) {
    Instant at = Instant.ofEpochMilli(now);
    RequestResult result = BestOfN.result(progress.variants(), progress.numVariants(), at);
    context.forward(new Record<>(requestId, result, now), RESULTS_SINK);
    results.record();
    for (PreferencePair pair : BestOfN.pairs(progress.variants(), settings.minPairMargin(), at)) {
      context.forward(new Record<>(requestId, pair, now), PAIRS_SINK);
      pairs.record();
    }
    for (ScoredImage s : progress.variants()) {
      if (s.getVerdict() == Verdict.BAD_CASE) {
        String jobId = s.getImage().getJob().getJobId();
        List<String> siblings = progress.variants().stream().map(v -> v.getImage().getJob().getJobId())
            .filter(id -> !id.equals(jobId)).toList();
        context.forward(new Record<>(requestId, badCase(s, siblings, now), now), BAD_CASES_SINK);
        badCases.record();
      }
    }
    deadlines.delete(indexKey(progress.since() + settings.requestTimeout().toMillis(), requestId));
    requests.put(requestId, new RequestProgress(true, now, progress.numVariants(), List.of()));
    deadlines.put(indexKey(now + settings.retention().toMillis(), requestId), FORGET);
    LOG.debug("request {} {}: {} of {} variants", LogText.of(requestId), result.getStatus(), progress.variants().size(), progress.numVariants());
  }

  private BadCase badCase(ScoredImage s, List<String> siblings, long now) {
    // No label slots: BadCase.labels is deprecated; reviews are HumanVerdict events on human-verdicts.
    return BadCase.newBuilder()
        .setScored(s)
        .setThresholds(thresholds)
        .setSiblingJobIds(siblings)
        .setCreatedAt(Instant.ofEpochMilli(now))
        .build();
  }

  /** Decides every request whose deadline has passed; forgets finished ones past the retention. */
  private void expire(long now) {
    List<KeyValue<String, String>> due = new ArrayList<>();
    try (KeyValueIterator<String, String> it = deadlines.range(indexKey(0, ""), indexKey(now, "\uffff"))) {
      it.forEachRemaining(due::add);
    }
    for (KeyValue<String, String> entry : due) {
      deadlines.delete(entry.key);
      String requestId = entry.key.substring(entry.key.indexOf('|') + 1);
      RequestProgress progress = requests.get(requestId);
      if (progress == null) {
        continue;
      }
      if (FORGET.equals(entry.value) && progress.done()) {
        requests.delete(requestId);
      } else if (DECIDE.equals(entry.value) && !progress.done()) {
        timeouts.record();
        LOG.info("request {} timed out with {} of {} variants", LogText.of(requestId), progress.variants().size(), progress.numVariants());
        decide(requestId, progress, now);
      }
    }
  }

  static String indexKey(long at, String requestId) {
    return String.format(Locale.ROOT, "%019d|%s", at, requestId);
  }
}
