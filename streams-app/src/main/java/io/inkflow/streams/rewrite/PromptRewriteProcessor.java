package io.inkflow.streams.rewrite;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.common.Intervals;
import io.inkflow.common.LogText;
import io.inkflow.common.deadletter.DeadLetter;
import io.inkflow.schemas.serde.AvroSerializer;
import io.inkflow.schemas.serde.FanOutEncoder;
import io.inkflow.schemas.serde.InvalidTextException;
import io.inkflow.streams.common.DeadLetters;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
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
 * The PE stage's one processor: reads raw prompt-request bytes, dedupes by requestId, plans the jobs
 * and routes every input to exactly one of: jobs on generation-jobs; a dead letter (original bytes +
 * error headers) plus a REJECTED result when the request id can be read; nothing for a duplicate.
 *
 * <p>Accepted request identities live in a changelogged store (so they survive restarts) and are
 * purged after the configured retention by a wall-clock punctuation.
 */
final class PromptRewriteProcessor implements Processor<byte[], byte[], Object, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(PromptRewriteProcessor.class);
  static final String STAGE = "pe-rewrite";
  /** Longest requestId a REJECTED result is keyed by; longer ones only get a dead letter. */
  private static final int MAX_RESULT_KEY_CHARS = 1024;
  /** How much of a refusal's message a log line quotes (the dead letter keeps it whole). */
  private static final int MAX_LOGGED_MESSAGE = 400;
  /** The only fields in which the jobs of one request differ. */
  static final List<String> VARYING_JOB_FIELDS = List.of("variant", "jobId", "seed");

  private final RequestPlanner planner;
  private final Deserializer<PromptRequest> deserializer;
  private final FanOutEncoder<GenerationJob> jobEncoder;
  private final String jobsTopic;
  private final String storeName;
  private final Duration retention;
  private ProcessorContext<Object, Object> context;
  private KeyValueStore<String, AcceptedRequest> identities;
  private Sensor accepted;
  private Sensor rejected;
  private Sensor duplicates;
  private Sensor jobsOut;

  /**
   * @param jobSerializer the serializer of generation-jobs: the jobs of a request are written through it,
   *     their shared fields once per request
   */
  PromptRewriteProcessor(RequestPlanner planner, Deserializer<PromptRequest> deserializer,
      AvroSerializer<GenerationJob> jobSerializer, String jobsTopic, String storeName, Duration retention) {
    this.planner = planner;
    this.deserializer = deserializer;
    this.jobEncoder = new FanOutEncoder<>(jobSerializer, VARYING_JOB_FIELDS);
    this.jobsTopic = jobsTopic;
    this.storeName = storeName;
    this.retention = retention;
  }

  @Override
  public void init(ProcessorContext<Object, Object> context) {
    this.context = context;
    this.identities = context.getStateStore(storeName);
    var metrics = context.metrics();
    String entity = STAGE;
    accepted = metrics.addRateTotalSensor(PromptRewriteTopology.METRICS_SCOPE, entity, "requests-accepted", Sensor.RecordingLevel.INFO);
    rejected = metrics.addRateTotalSensor(PromptRewriteTopology.METRICS_SCOPE, entity, "requests-rejected", Sensor.RecordingLevel.INFO);
    duplicates = metrics.addRateTotalSensor(PromptRewriteTopology.METRICS_SCOPE, entity, "requests-duplicate", Sensor.RecordingLevel.INFO);
    jobsOut = metrics.addRateTotalSensor(PromptRewriteTopology.METRICS_SCOPE, entity, "jobs-emitted", Sensor.RecordingLevel.INFO);
    context.schedule(Intervals.purgeEvery(retention), PunctuationType.WALL_CLOCK_TIME, this::purgeExpired);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata source = context.recordMetadata().orElseThrow();
    String key = utf8(record.key());
    if (record.value() == null) {
      reject(record, source, key, null, new Rejection(RejectReason.TOMBSTONE,
          "null value (tombstone) under key " + describeKey(key) + "; expected a PromptRequest"));
      return;
    }
    PromptRequest request;
    try {
      request = deserializer.deserialize(source.topic(), record.headers(), record.value());
    } catch (InvalidTextException e) {
      reject(record, source, key, null, new Rejection(RejectReason.INVALID_UTF8, e.getMessage()));
      return;
    } catch (SerializationException e) {
      reject(record, source, key, null, new Rejection(RejectReason.DESERIALIZATION_FAILED, e.getMessage()));
      return;
    }
    String requestId = request.getRequestId();
    String identity = RequestIdentity.of(request);
    AcceptedRequest known = requestId == null || requestId.isEmpty() ? null : identities.get(requestId);
    if (known != null) {
      if (known.identity().equals(identity)) {
        duplicates.record();
        LOG.debug("duplicate request {} at {}-{}@{}: the first result stands", LogText.of(requestId), source.topic(), source.partition(), source.offset());
      } else {
        reject(record, source, key, request, new Rejection(RejectReason.CONFLICT, "requestId '" + requestId
            + "' was already accepted with a different body (identity " + known.identity().substring(0, 12) + "…, this one "
            + identity.substring(0, 12) + "…); no second set of jobs"));
      }
      return;
    }
    List<GenerationJob> jobs;
    try {
      jobs = planner.plan(key, request, Instant.ofEpochMilli(record.timestamp()));
    } catch (Rejection r) {
      reject(record, source, key, request, r);
      return;
    } catch (RetriableException e) {
      throw e; // an outage, not bad data: let the task retry
    } catch (RuntimeException e) {
      LOG.error("planning request {} from {}-{}@{} failed", LogText.of(requestId), source.topic(), source.partition(), source.offset(), e);
      reject(record, source, key, request, new Rejection(RejectReason.PROCESSING_FAILED, e.toString()));
      return;
    }
    long inFull = jobEncoder.writtenInFull();
    List<byte[]> payloads = jobEncoder.encode(jobsTopic, jobs);
    if (inFull == 0 && jobEncoder.writtenInFull() > 0) {
      // Still correct, only slower: the planner's jobs should differ in VARYING_JOB_FIELDS alone.
      LOG.warn("the jobs of request {} differ outside {}; they are written in full (logged once)", LogText.of(requestId),
          VARYING_JOB_FIELDS);
    }
    identities.put(requestId, new AcceptedRequest(identity, context.currentSystemTimeMs()));
    for (int i = 0; i < jobs.size(); i++) {
      context.forward(new Record<>(jobs.get(i).getJobId(), payloads.get(i), record.timestamp()), PromptRewriteTopology.JOBS_SINK);
      jobsOut.record();
    }
    accepted.record();
  }

  /** Dead-letters the original bytes, and answers REJECTED when the request id is readable and not taken. */
  private void reject(Record<byte[], byte[]> record, RecordMetadata source, String key, PromptRequest request, Rejection why) {
    rejected.record();
    LOG.warn("rejected {} at {}-{}@{} (request {}): {}", why.reason(), source.topic(), source.partition(), source.offset(),
        LogText.of(request == null ? describeKey(key) : request.getRequestId()), LogText.of(why.getMessage(), MAX_LOGGED_MESSAGE));
    DeadLetters.forward(context, PromptRewriteTopology.DLQ_SINK, DeadLetter.of(record.key(), record.value(), record.headers(),
        why.reason().name(), why.getMessage(), STAGE, 1, source.topic(), source.partition(), source.offset()), record.timestamp());

    String requestId = request != null ? request.getRequestId() : key;
    boolean readable = requestId != null && !requestId.isEmpty() && requestId.length() <= MAX_RESULT_KEY_CHARS;
    // A conflict, or any refusal of an id already accepted, must not overwrite the standing result.
    if (!readable || why.reason() == RejectReason.CONFLICT || identities.get(requestId) != null) {
      return;
    }
    RequestResult result = RequestResult.newBuilder()
        .setRequestId(requestId)
        .setBatchId(request == null ? null : request.getBatchId())
        .setStatus(RequestStatus.REJECTED)
        .setReasonCode(why.reason().name())
        .setReasonMessage(why.getMessage())
        .setNumVariants(0)
        .setTags(request == null ? Map.of() : request.getTags())
        .setCompletedAt(Instant.ofEpochMilli(context.currentSystemTimeMs()))
        .build();
    context.forward(new Record<Object, Object>(requestId, result, record.timestamp()), PromptRewriteTopology.RESULTS_SINK);
  }

  private void purgeExpired(long now) {
    long cutoff = now - retention.toMillis();
    List<String> expired = new ArrayList<>();
    try (KeyValueIterator<String, AcceptedRequest> it = identities.all()) {
      while (it.hasNext()) {
        KeyValue<String, AcceptedRequest> kv = it.next();
        if (kv.value.acceptedAt() < cutoff) {
          expired.add(kv.key);
        }
      }
    }
    expired.forEach(identities::delete);
    if (!expired.isEmpty()) {
      LOG.info("forgot {} request identities older than {}", expired.size(), retention);
    }
  }

  /** The key as UTF-8 text, or null when absent or not valid UTF-8. */
  static String utf8(byte[] key) {
    if (key == null) {
      return null;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(key)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  private static String describeKey(String key) {
    return key == null ? "<none or not UTF-8>" : "'" + (key.length() > 80 ? key.substring(0, 80) + "…" : key) + "'";
  }

}
