package io.inkflow.streams.scoring;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.common.Intervals;
import io.inkflow.common.LogText;
import io.inkflow.common.deadletter.DeadLetter;
import io.inkflow.inference.image.InvalidImageException;
import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.image.PngHeader;
import io.inkflow.inference.image.PngInfo;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.schemas.serde.InvalidTextException;
import io.inkflow.storage.ObjectMissingException;
import io.inkflow.storage.ObjectStore;
import io.inkflow.storage.ObjectTooLargeException;
import io.inkflow.streams.common.DeadLetters;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads raw {@code images-generated} records, dedupes them by jobId, buffers GENERATED images in a
 * changelogged store and scores them in micro-batches, flushed when the buffer holds
 * {@link ScoringSettings#batchSize()} images or by a wall-clock punctuation. Every jobId ends as one
 * {@link ScoredImage}, forwarded to {@code images-scored} and to the request aggregator; what cannot
 * be read goes to {@code images-generated.dlq} with its original bytes.
 *
 * <p>Everything that emits, scoring included, runs on the stream thread inside the task, so the
 * exactly-once commit covers it: an image leaves the changelogged buffer only in the call that emits
 * its result, and a crash before the commit replays the buffer. Only fetching and decoding, which read
 * and emit nothing, run on a small loader pool ({@link ScoringSettings#fetchThreads()}): a full batch
 * starts loading at once and is scored when the next batch fills (or the linger passes), so loading
 * one batch overlaps scoring the one before.
 */
final class ScoringProcessor implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringProcessor.class);
  static final String STAGE = "reward-scoring";
  static final String GENERATION_FAILED = "GENERATION_FAILED";
  static final String IMAGE_MISSING = "IMAGE_MISSING";
  static final String IMAGE_UNREADABLE = "IMAGE_UNREADABLE";
  static final String SCORING_FAILED = "SCORING_FAILED";

  private final ScoringSettings settings;
  private final Deserializer<GeneratedImage> deserializer;
  private final ObjectStore images;
  private final ImageScorer scorer;
  private final RewardPolicy policy;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, Long> seen;
  private KeyValueStore<String, PendingImage> pending;
  /** Images buffered (and in the pending store) whose loads have not started. */
  private Batch collecting = new Batch();
  /** A full micro-batch whose images are being fetched and decoded; scored when the next one fills or lingers. */
  private Batch loading;
  /** When the last image was buffered (wall clock). */
  private long lastArrivalAt;
  /** Fetches and decodes a micro-batch's images in parallel; null with one fetch thread. */
  private ExecutorService loader;
  private Sensor scored;
  private Sensor failed;
  private Sensor duplicates;
  private Sensor deadLetters;
  private Sensor batches;

  ScoringProcessor(ScoringSettings settings, Deserializer<GeneratedImage> deserializer, ObjectStore images,
      ImageScorer scorer, RewardPolicy policy) {
    this.settings = settings;
    this.deserializer = deserializer;
    this.images = images;
    this.scorer = scorer;
    this.policy = policy;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.seen = context.getStateStore(ScoringTopology.SEEN_JOBS_STORE);
    this.pending = context.getStateStore(ScoringTopology.PENDING_STORE);
    // After a restart or a rebalance the buffer comes back from the changelog: it is scored as before.
    collecting = new Batch();
    loading = null;
    try (KeyValueIterator<String, PendingImage> it = pending.all()) {
      while (it.hasNext()) {
        KeyValue<String, PendingImage> kv = it.next();
        PendingImage raw = kv.value;
        collecting.add(kv.key, raw, deserializer.deserialize(raw.topic(), new RecordHeaders(), raw.value()));
      }
    }
    collecting.firstAt = context.currentSystemTimeMs();
    var metrics = context.metrics();
    scored = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "images-scored", Sensor.RecordingLevel.INFO);
    failed = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "images-failed", Sensor.RecordingLevel.INFO);
    duplicates = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "images-duplicate", Sensor.RecordingLevel.INFO);
    deadLetters = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "dead-letters", Sensor.RecordingLevel.INFO);
    batches = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "batches-scored", Sensor.RecordingLevel.INFO);
    if (settings.fetchThreads() > 1) {
      AtomicInteger n = new AtomicInteger();
      String task = context.taskId().toString();
      loader = Executors.newFixedThreadPool(settings.fetchThreads(), r -> {
        Thread t = new Thread(r, "inkflow-scoring-load-" + task + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
    // Linger, not a fixed beat: under load batches fill by size; a trickle waits at most ~1.25 flush intervals.
    Duration tick = settings.flushInterval().dividedBy(4);
    long tickMs = Math.max(1, tick.toMillis());
    context.schedule(Duration.ofMillis(tickMs), PunctuationType.WALL_CLOCK_TIME, now -> {
      long oldest = loading != null ? loading.firstAt : collecting.size() > 0 ? collecting.firstAt : Long.MAX_VALUE;
      // A loaded batch waits for the next one only while images keep arriving.
      boolean idle = loading != null && now - lastArrivalAt >= tickMs;
      if (idle || now - oldest >= settings.flushInterval().toMillis()) {
        flush();
      }
    });
    context.schedule(Intervals.purgeEvery(settings.retention()), PunctuationType.WALL_CLOCK_TIME, this::purgeSeen);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata source = context.recordMetadata().orElseThrow();
    PendingImage raw = new PendingImage(record.key(), record.value(), headerList(record), record.timestamp(),
        source.topic(), source.partition(), source.offset());
    if (record.value() == null) {
      deadLetter(raw, "TOMBSTONE", "null value; expected a GeneratedImage");
      return;
    }
    GeneratedImage image;
    try {
      image = deserializer.deserialize(source.topic(), record.headers(), record.value());
    } catch (SerializationException e) {
      deadLetter(raw, e instanceof InvalidTextException ? "INVALID_UTF8" : "DESERIALIZATION_FAILED", e.getMessage());
      return;
    }
    String jobId = image.getJob() == null ? null : image.getJob().getJobId();
    if (jobId == null || jobId.isEmpty()) {
      deadLetter(raw, "INVALID_EVENT", "expected a GeneratedImage with a jobId, found none");
      return;
    }
    if (seen.get(jobId) != null) {
      duplicates.record();
      LOG.debug("duplicate image {} at {}-{}@{}: already scored or buffered", LogText.of(jobId), source.topic(), source.partition(), source.offset());
      return;
    }
    seen.put(jobId, context.currentSystemTimeMs());
    if (image.getStatus() != ImageStatus.GENERATED) {
      String code = image.getErrorCode() == null ? GENERATION_FAILED : image.getErrorCode();
      emit(failedImage(image, List.of(GENERATION_FAILED, code).stream().distinct().toList()), record.timestamp());
      return;
    }
    if (image.getImageUri() == null) {
      deadLetter(raw, IMAGE_MISSING, "GENERATED image " + jobId + " has no imageUri");
      emit(failedImage(image, List.of(IMAGE_MISSING)), record.timestamp());
      return;
    }
    pending.put(jobId, raw);
    lastArrivalAt = context.currentSystemTimeMs();
    if (collecting.size() == 0) {
      collecting.firstAt = context.currentSystemTimeMs();
    }
    collecting.add(jobId, raw, image);
    if (collecting.size() >= settings.batchSize()) {
      advance();
    }
  }

  /**
   * A micro-batch is full: its loads start, and the batch before it (whose loads have been running
   * meanwhile) is scored and emitted, so fetching and decoding one batch overlaps scoring the previous
   * one. Without a loader pool the full batch is loaded and scored at once.
   */
  private void advance() {
    rotate(loader != null);
  }

  /** Scores everything buffered: the batch being loaded, then the partial one. */
  void flush() {
    rotate(false);
  }

  /**
   * Starts the loads of the batch being collected, scores the batch being loaded, then either keeps the
   * new batch loading ({@code keepLoading}) or scores it too.
   */
  private void rotate(boolean keepLoading) {
    Batch previous = loading;
    Batch next = collecting;
    collecting = new Batch();
    loading = null;
    if (next.size() > 0) {
      next.loads = loadAll(next.images);
    }
    if (previous != null) {
      finish(previous);
    }
    if (next.size() > 0) {
      if (keepLoading) {
        loading = next;
      } else {
        finish(next);
      }
    }
  }

  /** Waits for a batch's loads, then scores it in one reward-pack call (split only on failure) and emits every image. */
  /** An image whose PNG was read and decoded: what it came from and what the reward pack is given. */
  private record Ready(PendingImage raw, GeneratedImage image, RewardInput input) {}

  private void finish(Batch batch) {
    List<PendingImage> raws = batch.raws;
    List<GeneratedImage> images = batch.images;
    List<Future<RgbImage>> loads = batch.loads;
    List<Ready> ready = new ArrayList<>();
    for (int k = 0; k < images.size(); k++) {
      PendingImage raw = raws.get(k);
      GeneratedImage image = images.get(k);
      RgbImage rgb;
      try {
        rgb = awaitLoad(loads.get(k));
      } catch (ObjectMissingException e) {
        deadLetter(raw, IMAGE_MISSING, e.getMessage());
        emit(failedImage(image, List.of(IMAGE_MISSING)), raw.timestamp());
        continue;
      } catch (ObjectTooLargeException e) {
        deadLetter(raw, InvalidImageException.Reason.TOO_LARGE.name(), e.getMessage());
        emit(failedImage(image, List.of(IMAGE_UNREADABLE, InvalidImageException.Reason.TOO_LARGE.name())), raw.timestamp());
        continue;
      } catch (InvalidImageException e) {
        deadLetter(raw, e.reason().name(), e.getMessage());
        emit(failedImage(image, List.of(IMAGE_UNREADABLE, e.reason().name())), raw.timestamp());
        continue;
      }
      GenerationJob job = image.getJob();
      String original = job.getRequest().getPrompt();
      ready.add(new Ready(raw, image, new RewardInput(rgb, job.getRewrittenPrompt(),
          original == null || original.equals(job.getRewrittenPrompt()) ? null : original, job.getGlyphTexts())));
    }
    if (!ready.isEmpty()) {
      List<RewardInput> inputs = ready.stream().map(Ready::input).toList();
      List<RewardScores> results = new ArrayList<>(inputs.size());
      List<String> errors = new ArrayList<>(inputs.size());
      scoreIsolating(inputs, results, errors);
      Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
      for (int i = 0; i < ready.size(); i++) {
        Ready r = ready.get(i);
        if (results.get(i) == null) {
          deadLetter(r.raw(), SCORING_FAILED, errors.get(i));
          emit(failedImage(r.image(), List.of(SCORING_FAILED)), r.raw().timestamp());
          continue;
        }
        RewardPolicy.Judgement j = policy.judge(results.get(i));
        emit(ScoredImage.newBuilder()
            .setImage(r.image())
            .setScores(j.scores())
            .setRewardPackId(scorer.packId())
            .setRewardPackVersion(scorer.packVersion())
            .setOverallScore(j.overall())
            .setVerdict(j.verdict())
            .setReasonCodes(j.reasons())
            .setScoredAt(now)
            .setTextRendering(j.textRendering())
            .build(), r.raw().timestamp());
      }
      batches.record();
      LOG.info("scored {} images with {} {} ({} in the batch)", inputs.size(), scorer.packId(), scorer.packVersion(), batch.size());
    }
    batch.keys.forEach(pending::delete);
  }

  /** Images of one micro-batch in arrival order; their loads once started. */
  private static final class Batch {
    final List<String> keys = new ArrayList<>();
    final List<PendingImage> raws = new ArrayList<>();
    final List<GeneratedImage> images = new ArrayList<>();
    List<Future<RgbImage>> loads;
    long firstAt;

    void add(String key, PendingImage raw, GeneratedImage image) {
      keys.add(key);
      raws.add(raw);
      images.add(image);
    }

    int size() {
      return keys.size();
    }
  }

  /**
   * Scores {@code inputs}, appending one result (or null) and one error (or null) per input. A failing
   * call is split in halves until the image that fails alone is found, so one image the reward pack
   * cannot score fails alone instead of failing the task forever on replay. Retriable errors (an
   * outage, not the data) are rethrown.
   */
  private void scoreIsolating(List<RewardInput> inputs, List<RewardScores> results, List<String> errors) {
    try {
      List<RewardScores> scores = scorer.score(inputs);
      if (scores.size() != inputs.size()) {
        throw new IllegalStateException("the reward pack returned " + scores.size() + " results for " + inputs.size() + " images");
      }
      results.addAll(scores);
      inputs.forEach(i -> errors.add(null));
    } catch (RetriableException e) {
      throw e;
    } catch (RuntimeException e) {
      if (inputs.size() == 1) {
        LOG.error("the reward pack cannot score one image; it fails alone", e);
        results.add(null);
        errors.add(e.toString());
        return;
      }
      LOG.warn("scoring a batch of {} failed ({}); splitting it to find the image that fails", inputs.size(), e.toString());
      int half = inputs.size() / 2;
      scoreIsolating(inputs.subList(0, half), results, errors);
      scoreIsolating(inputs.subList(half, inputs.size()), results, errors);
    }
  }

  @Override
  public void close() {
    // Buffered images stay in the pending store: whoever owns the task next scores them.
    if (loader != null) {
      loader.shutdownNow();
    }
    collecting = new Batch();
    loading = null;
  }

  /**
   * Starts fetching and decoding every image of the micro-batch: on the loader pool when there is one
   * (S3 round trips overlap, and decoding uses the cores the stream thread leaves idle), else here.
   * {@link #flush()} waits for all of them before anything is emitted, so the work stays inside the
   * task and its exactly-once commit.
   */
  private List<Future<RgbImage>> loadAll(List<GeneratedImage> images) {
    List<Future<RgbImage>> out = new ArrayList<>(images.size());
    for (GeneratedImage image : images) {
      String uri = image.getImageUri();
      if (loader == null || images.size() == 1) {
        FutureTask<RgbImage> task = new FutureTask<>(() -> load(uri));
        task.run();
        out.add(task);
      } else {
        out.add(loader.submit(() -> load(uri)));
      }
    }
    return out;
  }

  /** The loaded image, or the load's own exception (outages included, which fail the task as before). */
  private static RgbImage awaitLoad(Future<RgbImage> load) {
    try {
      return load.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptException(e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException("loading an image failed", e.getCause());
    }
  }

  /** Fetches and decodes an image, refusing non-PNGs and oversized ones on the header alone. */
  private RgbImage load(String uri) {
    byte[] bytes = images.get(uri, settings.maxImageBytes());
    PngInfo info = PngHeader.inspect(bytes);
    if (info.pixels() > settings.maxPixels()) {
      throw new InvalidImageException(InvalidImageException.Reason.TOO_LARGE,
          "expected at most " + settings.maxPixels() + " pixels, found " + info.width() + "x" + info.height() + " at " + uri);
    }
    return PngDecoder.decode(bytes, settings.maxPixels());
  }

  private ScoredImage failedImage(GeneratedImage image, List<String> reasons) {
    return ScoredImage.newBuilder()
        .setImage(image)
        .setScores(List.of())
        .setRewardPackId(scorer.packId())
        .setRewardPackVersion(scorer.packVersion())
        .setOverallScore(null)
        .setVerdict(Verdict.FAILED)
        .setReasonCodes(reasons)
        .setScoredAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
        .build();
  }

  private void emit(ScoredImage s, long timestamp) {
    (s.getVerdict() == Verdict.FAILED ? failed : scored).record();
    Record<Object, Object> out = new Record<>(s.getImage().getJob().getRequest().getRequestId(), s, timestamp);
    context.forward(out, ScoringTopology.SCORED_SINK);
    context.forward(out, ScoringTopology.AGGREGATOR);
  }

  private void deadLetter(PendingImage raw, String code, String message) {
    deadLetters.record();
    LOG.warn("dead-lettering {}-{}@{}: {} {}", raw.topic(), raw.partition(), raw.offset(), code, LogText.of(message, 400));
    List<Header> original = raw.headers().stream().<Header>map(h -> new RecordHeader(h.getKey(), h.getValue())).toList();
    DeadLetters.forward(context, ScoringTopology.DLQ_SINK, DeadLetter.of(raw.key(), raw.value(), original, code, message, STAGE, 1,
        raw.topic(), raw.partition(), raw.offset()), raw.timestamp());
  }

  private void purgeSeen(long now) {
    long cutoff = now - settings.retention().toMillis();
    List<String> expired = new ArrayList<>();
    try (KeyValueIterator<String, Long> it = seen.all()) {
      it.forEachRemaining(kv -> {
        if (kv.value < cutoff) {
          expired.add(kv.key);
        }
      });
    }
    expired.forEach(seen::delete);
  }

  private static List<Map.Entry<String, byte[]>> headerList(Record<byte[], byte[]> record) {
    List<Map.Entry<String, byte[]>> out = new ArrayList<>();
    for (Header h : record.headers()) {
      out.add(new AbstractMap.SimpleImmutableEntry<>(h.key(), h.value()));
    }
    return out;
  }
}
