package io.inkflow.streams.batches;

import io.inkflow.avro.BatchResult;
import io.inkflow.avro.RequestResult;
import io.inkflow.common.Intervals;
import io.inkflow.common.LogText;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.ObjectStore;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * Batch completion, keyed by batchId: counts each batch's distinct request results (the PE stage's
 * REJECTED ones included) against the expected count from {@code batches}; when they meet, writes
 * {@code manifests/{batchId}/manifest.jsonl} (one row per request, by requestId) and emits one
 * {@link BatchResult}. Results may arrive before the announcement.
 *
 * <p>An announced batch that has gone the idle timeout without a new result (a submitter that died
 * after announcing it, say) is closed by a wall-clock punctuation: its result says timedOut and counts
 * the requests still missing, and results that come later are not counted.
 *
 * <p>The manifest is written on the stream thread before the result is forwarded; the object key is
 * deterministic, so a replay after a crash rewrites the same object.
 *
 * <p>Whoever wires it adds the stores {@link #BATCHES_STORE} and {@link #BATCH_ROWS_STORE}.
 */
public final class BatchTracker implements Processor<String, BatchEvent, String, BatchResult> {
  /** Each batch's counters (expected, received, by status), by batchId. */
  public static final String BATCHES_STORE = "scoring-batches";
  /** Each counted request's manifest row, by batchId and requestId, until its batch's manifest is written. */
  public static final String BATCH_ROWS_STORE = "scoring-batch-rows";

  /** This processor's stores, with their value codecs: a batch's counters (versioned) and its manifest rows. */
  public static List<StoreBuilder<?>> stores() {
    return List.of(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BATCHES_STORE), Serdes.String(), BatchProgress.SERDE).withCachingEnabled(),
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BATCH_ROWS_STORE), Serdes.String(), Serdes.String()).withCachingEnabled());
  }
  private static final Logger LOG = LoggerFactory.getLogger(BatchTracker.class);
  static final String STAGE = "batch-completion";
  private static final char SEP = '\u0001';

  private final String metricsScope;
  private final ObjectStore store;
  private final Duration idleTimeout;
  private final Duration retention;
  private ProcessorContext<String, BatchResult> context;
  private KeyValueStore<String, BatchProgress> batches;
  private KeyValueStore<String, String> rows;
  private Sensor completed;
  private Sensor lateResults;
  private Sensor timeouts;

  /**
   * @param metricsScope the stage's metrics scope (its sensors join the stage's group)
   * @param store where manifests are written
   * @param idleTimeout how long an announced batch waits for its next result before it is closed
   * @param retention how long a finished batch is remembered (results after it are not counted)
   */
  public BatchTracker(String metricsScope, ObjectStore store, Duration idleTimeout, Duration retention) {
    this.metricsScope = metricsScope;
    this.store = store;
    this.idleTimeout = idleTimeout;
    this.retention = retention;
  }

  @Override
  public void init(ProcessorContext<String, BatchResult> context) {
    this.context = context;
    batches = context.getStateStore(BATCHES_STORE);
    rows = context.getStateStore(BATCH_ROWS_STORE);
    var metrics = context.metrics();
    completed = metrics.addRateTotalSensor(metricsScope, STAGE, "batches-completed", Sensor.RecordingLevel.INFO);
    lateResults = metrics.addRateTotalSensor(metricsScope, STAGE, "late-results", Sensor.RecordingLevel.INFO);
    timeouts = metrics.addRateTotalSensor(metricsScope, STAGE, "batch-timeouts", Sensor.RecordingLevel.INFO);
    context.schedule(Intervals.purgeEvery(retention), PunctuationType.WALL_CLOCK_TIME, this::forgetFinished);
    // A tenth of the idle timeout, between 1 s and 1 min: a batch closes at most 10 % late.
    Duration every = Intervals.clamp(idleTimeout.dividedBy(10), Duration.ofSeconds(1), Duration.ofMinutes(1));
    context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::closeIdle);
  }

  @Override
  public void process(Record<String, BatchEvent> record) {
    String batchId = record.key();
    BatchEvent event = record.value();
    if (batchId == null || event == null) {
      return;
    }
    long now = context.currentSystemTimeMs();
    BatchProgress stored = batches.get(batchId);
    BatchProgress progress = stored == null ? BatchProgress.EMPTY : stored;
    if (event.submitted() != null) {
      if (progress.done() || progress.expected() >= 0) {
        return; // a re-announcement (compacted topic re-read) changes nothing
      }
      progress = progress.withExpected(event.submitted().getExpectedCount(), now);
    } else {
      RequestResult r = event.result();
      if (progress.done()) {
        lateResults.record();
        LOG.warn("result of request {} ({}) arrived after batch {} completed; not counted", LogText.of(r.getRequestId()), r.getStatus(),
            LogText.of(batchId));
        return;
      }
      String rowKey = batchId + SEP + r.getRequestId();
      if (rows.get(rowKey) != null) {
        return; // one row per request: a re-delivered result is not counted twice
      }
      rows.put(rowKey, ManifestRows.row(r));
      progress = progress.add(r, now);
    }
    if (progress.complete()) {
      finish(batchId, progress, now, false);
    } else {
      batches.put(batchId, progress);
    }
  }

  private void finish(String batchId, BatchProgress progress, long now, boolean timedOut) {
    // Rows go to a file in the task's state directory, then to S3: memory stays flat however large the batch.
    List<String> keys = new ArrayList<>();
    String uri;
    Path file = null;
    try {
      file = Files.createTempFile(context.stateDir().toPath(), "manifest-", ".jsonl");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file));
           KeyValueIterator<String, String> it = rows.prefixScan(batchId + SEP, new StringSerializer())) {
        while (it.hasNext()) {
          KeyValue<String, String> kv = it.next();
          keys.add(kv.key);
          out.write(kv.value.getBytes(StandardCharsets.UTF_8));
          out.write('\n');
        }
      }
      String key = ObjectKeys.manifest(batchId);
      store.put(key, file, "application/x-ndjson");
      uri = store.uri(key);
    } catch (IOException e) {
      throw new UncheckedIOException("writing the manifest of batch " + batchId + " failed", e);
    } finally {
      if (file != null) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException e) {
          LOG.warn("cannot delete {}: {}", file, e.toString());
        }
      }
    }
    BatchResult result = BatchResult.newBuilder()
        .setBatchId(batchId)
        .setExpectedCount(progress.expected())
        .setCompleted(progress.completed())
        .setPartial(progress.partial())
        .setFailed(progress.failed())
        .setRejected(progress.rejected())
        .setImagesGenerated(progress.imagesGenerated())
        .setBadCases(progress.badCases())
        .setMissing(Math.max(0, progress.expected() - progress.received()))
        .setTimedOut(timedOut)
        .setManifestUri(uri)
        .setCompletedAt(Instant.ofEpochMilli(now))
        .build();
    context.forward(new Record<>(batchId, result, now));
    completed.record();
    keys.forEach(rows::delete);
    batches.put(batchId, progress.finished(now));
    if (timedOut) {
      timeouts.record();
      LOG.warn("batch {} timed out after {} without a new result: {} of {} requests missing", LogText.of(batchId),
          idleTimeout, progress.expected() - progress.received(), progress.expected());
    }
    LOG.info("batch {} complete: {} requests ({} completed, {} partial, {} failed, {} rejected), manifest {}", LogText.of(batchId),
        progress.received(), progress.completed(), progress.partial(), progress.failed(), progress.rejected(), uri);
  }

  /** Closes announced batches that have waited longer than the idle timeout for their next result. */
  private void closeIdle(long now) {
    long cutoff = now - idleTimeout.toMillis();
    List<KeyValue<String, BatchProgress>> idle = new ArrayList<>();
    try (KeyValueIterator<String, BatchProgress> it = batches.all()) {
      it.forEachRemaining(kv -> {
        BatchProgress p = kv.value;
        if (!p.done() && p.expected() >= 0 && p.lastAt() <= cutoff) {
          idle.add(KeyValue.pair(kv.key, p));
        }
      });
    }
    idle.forEach(kv -> finish(kv.key, kv.value, now, true));
  }

  private void forgetFinished(long now) {
    long cutoff = now - retention.toMillis();
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, BatchProgress> it = batches.all()) {
      it.forEachRemaining(kv -> {
        BatchProgress p = kv.value;
        if (p.done() && p.lastAt() < cutoff) {
          old.add(kv.key);
        }
      });
    }
    old.forEach(batches::delete);
  }
}
