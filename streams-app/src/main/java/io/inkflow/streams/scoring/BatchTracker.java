package io.inkflow.streams.scoring;

import io.inkflow.avro.BatchResult;
import io.inkflow.avro.RequestResult;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.StringSerializer;
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
 * Batch completion, keyed by batchId: counts each batch's distinct request results (the PE stage's
 * REJECTED ones included) against the expected count from {@code batches}; when they meet, writes
 * {@code manifests/{batchId}/manifest.jsonl} (one row per request, by requestId) and emits one
 * {@link BatchResult}. Results may arrive before the announcement.
 *
 * <p>The manifest is written on the stream thread before the result is forwarded; the object key is
 * deterministic, so a replay after a crash rewrites the same object.
 */
final class BatchTracker implements Processor<String, BatchEvent, String, BatchResult> {
  private static final Logger log = LoggerFactory.getLogger(BatchTracker.class);
  static final String STAGE = "batch-completion";
  private static final char SEP = '\u0001';

  private final ImageStore store;
  private final ScoringSettings settings;
  private ProcessorContext<String, BatchResult> context;
  private KeyValueStore<String, byte[]> batches;
  private KeyValueStore<String, String> rows;
  private Sensor completed;
  private Sensor lateResults;

  BatchTracker(ImageStore store, ScoringSettings settings) {
    this.store = store;
    this.settings = settings;
  }

  @Override
  public void init(ProcessorContext<String, BatchResult> context) {
    this.context = context;
    batches = context.getStateStore(ScoringTopology.BATCHES_STORE);
    rows = context.getStateStore(ScoringTopology.BATCH_ROWS_STORE);
    var metrics = context.metrics();
    completed = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "batches-completed", Sensor.RecordingLevel.INFO);
    lateResults = metrics.addRateTotalSensor(ScoringTopology.METRICS_SCOPE, STAGE, "late-results", Sensor.RecordingLevel.INFO);
    context.schedule(ScoringTopology.purgeEvery(settings.retention()), PunctuationType.WALL_CLOCK_TIME, this::forgetFinished);
  }

  @Override
  public void process(Record<String, BatchEvent> record) {
    String batchId = record.key();
    BatchEvent event = record.value();
    if (batchId == null || event == null) {
      return;
    }
    long now = context.currentSystemTimeMs();
    byte[] stored = batches.get(batchId);
    BatchProgress progress = stored == null ? BatchProgress.EMPTY : BatchProgress.decode(stored);
    if (event.submitted() != null) {
      if (progress.done() || progress.expected() >= 0) {
        return; // a re-announcement (compacted topic re-read) changes nothing
      }
      progress = progress.withExpected(event.submitted().getExpectedCount(), now);
    } else {
      RequestResult r = event.result();
      if (progress.done()) {
        lateResults.record();
        log.warn("result of request {} ({}) arrived after batch {} completed; not counted", r.getRequestId(), r.getStatus(), batchId);
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
      finish(batchId, progress, now);
    } else {
      batches.put(batchId, progress.encode());
    }
  }

  private void finish(String batchId, BatchProgress progress, long now) {
    ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, String> it = rows.prefixScan(batchId + SEP, new StringSerializer())) {
      while (it.hasNext()) {
        KeyValue<String, String> kv = it.next();
        keys.add(kv.key);
        jsonl.writeBytes(kv.value.getBytes(StandardCharsets.UTF_8));
        jsonl.write('\n');
      }
    }
    String uri = store.putManifest(batchId, jsonl.toByteArray());
    BatchResult result = BatchResult.newBuilder()
        .setBatchId(batchId)
        .setExpectedCount(progress.expected())
        .setCompleted(progress.completed())
        .setPartial(progress.partial())
        .setFailed(progress.failed())
        .setRejected(progress.rejected())
        .setImagesGenerated(progress.imagesGenerated())
        .setBadCases(progress.badCases())
        .setManifestUri(uri)
        .setCompletedAt(Instant.ofEpochMilli(now))
        .build();
    context.forward(new Record<>(batchId, result, now));
    completed.record();
    keys.forEach(rows::delete);
    batches.put(batchId, progress.finished(now).encode());
    log.info("batch {} complete: {} requests ({} completed, {} partial, {} failed, {} rejected), manifest {}", batchId,
        progress.received(), progress.completed(), progress.partial(), progress.failed(), progress.rejected(), uri);
  }

  private void forgetFinished(long now) {
    long cutoff = now - settings.retention().toMillis();
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it = batches.all()) {
      it.forEachRemaining(kv -> {
        BatchProgress p = BatchProgress.decode(kv.value);
        if (p.done() && p.lastAt() < cutoff) {
          old.add(kv.key);
        }
      });
    }
    old.forEach(batches::delete);
  }
}
