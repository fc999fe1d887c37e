package io.inkflow.streams.scoring;

import io.inkflow.avro.BadCase;
import io.inkflow.avro.HumanLabel;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.common.LogText;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
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
 */
final class RequestAggregator implements Processor<String, ScoredImage, Object, Object> {
  private static final Logger log = LoggerFactory.getLogger(RequestAggregator.class);
  static final String STAGE = "request-aggregation";
  private static final String DECIDE = "decide";
  private static final String FORGET = "forget";

  private final ScoringSettings settings;
  private final RewardPolicy policy;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, byte[]> requests;
  private KeyValueStore<String, String> deadlines;
  private Sensor results;
  private Sensor timeouts;
  private Sensor late;
  private Sensor pairs;

  RequestAggregator(ScoringSettings settings, RewardPolicy policy) {
    this.settings = settings;
    this.policy = policy;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    requests = context.getStateStore(ScoringTopology.REQUESTS_STORE);
    deadlines = context.getStateStore(ScoringTopology.DEADLINES_STORE);
    var metrics = context.metrics();
    results = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "request-results", Sensor.RecordingLevel.INFO);
    timeouts = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "request-timeouts", Sensor.RecordingLevel.INFO);
    late = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "late-variants", Sensor.RecordingLevel.INFO);
    pairs = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "preference-pairs", Sensor.RecordingLevel.INFO);
    context.schedule(settings.timeoutCheckInterval(), PunctuationType.WALL_CLOCK_TIME, this::expire);
  }

  @Override
  public void process(Record<String, ScoredImage> record) {
    ScoredImage s = record.value();
    String requestId = record.key();
    long now = context.currentSystemTimeMs();
    byte[] stored = requests.get(requestId);
    RequestProgress progress = stored == null ? null : RequestProgress.decode(stored);
    if (progress != null && progress.done()) {
      late.record();
      log.warn("late variant {} of request {} ({}): its result was decided at {}; no second result",
          LogText.of(s.getImage().getJob().getJobId()), LogText.of(requestId), s.getVerdict(), Instant.ofEpochMilli(progress.since()));
      if (s.getVerdict() == Verdict.BAD_CASE) {
        context.forward(new Record<>(requestId, badCase(s, List.of(), now), now), ScoringTopology.BAD_CASES_SINK);
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
      requests.put(requestId, progress.encode());
    }
  }

  /** Emits the result, pairs and bad cases, and leaves a done marker that is forgotten after the retention. */
  private void decide(String requestId, RequestProgress progress, long now) {
    Instant at = Instant.ofEpochMilli(now);
    RequestResult result = BestOfN.result(progress.variants(), progress.numVariants(), at);
    context.forward(new Record<>(requestId, result, now), ScoringTopology.RESULTS_SINK);
    results.record();
    for (PreferencePair pair : BestOfN.pairs(progress.variants(), settings.minPairMargin(), at)) {
      context.forward(new Record<>(requestId, pair, now), ScoringTopology.PAIRS_SINK);
      pairs.record();
    }
    for (ScoredImage s : progress.variants()) {
      if (s.getVerdict() == Verdict.BAD_CASE) {
        String jobId = s.getImage().getJob().getJobId();
        List<String> siblings = progress.variants().stream().map(v -> v.getImage().getJob().getJobId())
            .filter(id -> !id.equals(jobId)).toList();
        context.forward(new Record<>(requestId, badCase(s, siblings, now), now), ScoringTopology.BAD_CASES_SINK);
      }
    }
    deadlines.delete(indexKey(progress.since() + settings.requestTimeout().toMillis(), requestId));
    requests.put(requestId, new RequestProgress(true, now, progress.numVariants(), List.of()).encode());
    deadlines.put(indexKey(now + settings.retention().toMillis(), requestId), FORGET);
    log.debug("request {} {}: {} of {} variants", LogText.of(requestId), result.getStatus(), progress.variants().size(), progress.numVariants());
  }

  private BadCase badCase(ScoredImage s, List<String> siblings, long now) {
    List<HumanLabel> labels = new ArrayList<>();
    labels.add(HumanLabel.newBuilder().setDimension("aesthetic").build());
    labels.add(HumanLabel.newBuilder().setDimension("alignment").build());
    if (!s.getImage().getJob().getGlyphTexts().isEmpty()) {
      labels.add(HumanLabel.newBuilder().setDimension("text_rendering").build());
    }
    return BadCase.newBuilder()
        .setScored(s)
        .setThresholds(policy.thresholdMap())
        .setSiblingJobIds(siblings)
        .setLabels(labels)
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
      byte[] stored = requests.get(requestId);
      if (stored == null) {
        continue;
      }
      RequestProgress progress = RequestProgress.decode(stored);
      if (FORGET.equals(entry.value) && progress.done()) {
        requests.delete(requestId);
      } else if (DECIDE.equals(entry.value) && !progress.done()) {
        timeouts.record();
        log.info("request {} timed out with {} of {} variants", LogText.of(requestId), progress.variants().size(), progress.numVariants());
        decide(requestId, progress, now);
      }
    }
  }

  static String indexKey(long at, String requestId) {
    return String.format(Locale.ROOT, "%019d|%s", at, requestId);
  }
}
