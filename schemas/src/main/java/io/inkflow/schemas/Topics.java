package io.inkflow.schemas;

import io.inkflow.avro.BadCase;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.ScoredImage;
import io.inkflow.schemas.registry.SchemaRegistryClient;
import io.inkflow.schemas.serde.AvroSerde;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic catalogue: every topic of the pipeline, described once. Code asks the catalogue for a
 * topic's name and serdes and never spells a topic name itself.
 *
 * <p>Keys are plain UTF-8 strings (requestId, jobId or batchId); dead-letter topics keep the original
 * key and value bytes unchanged, so their serdes are byte arrays. Value serdes share one registry client.
 */
public final class Topics {
  public static final String DLQ_SUFFIX = ".dlq";
  /** Partitions of data topics unless configured otherwise; co-partitioned topics must agree. */
  public static final int DEFAULT_PARTITIONS = 6;

  public static final String PROMPT_REQUESTS = "prompt-requests";
  public static final String BATCHES = "batches";
  public static final String GENERATION_JOBS = "generation-jobs";
  public static final String IMAGES_GENERATED = "images-generated";
  public static final String IMAGES_SCORED = "images-scored";
  public static final String BAD_CASES = "bad-cases";
  public static final String REQUEST_RESULTS = "request-results";
  public static final String PREFERENCE_PAIRS = "preference-pairs";
  public static final String BATCH_RESULTS = "batch-results";

  private static final long DAY_MS = Duration.ofDays(1).toMillis();

  public final Topic<String, PromptRequest> promptRequests;
  public final Topic<byte[], byte[]> promptRequestsDlq;
  public final Topic<String, BatchSubmitted> batches;
  public final Topic<String, GenerationJob> generationJobs;
  public final Topic<byte[], byte[]> generationJobsDlq;
  public final Topic<String, GeneratedImage> imagesGenerated;
  public final Topic<byte[], byte[]> imagesGeneratedDlq;
  public final Topic<String, ScoredImage> imagesScored;
  public final Topic<String, BadCase> badCases;
  public final Topic<String, RequestResult> requestResults;
  public final Topic<String, PreferencePair> preferencePairs;
  public final Topic<String, BatchResult> batchResults;

  private final List<Topic<?, ?>> all;

  private Topics(String prefix, int partitions, SchemaRegistryClient registry, boolean autoRegister) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(registry, "registry");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1, found " + partitions);
    }
    Factory f = new Factory(prefix, partitions, registry, autoRegister);
    promptRequests = f.data(PROMPT_REQUESTS, PromptRequest.class, retention(7));
    promptRequestsDlq = f.deadLetter(PROMPT_REQUESTS);
    batches = f.data(BATCHES, BatchSubmitted.class, compacted());
    generationJobs = f.data(GENERATION_JOBS, GenerationJob.class, retention(7));
    generationJobsDlq = f.deadLetter(GENERATION_JOBS);
    imagesGenerated = f.data(IMAGES_GENERATED, GeneratedImage.class, retention(7));
    imagesGeneratedDlq = f.deadLetter(IMAGES_GENERATED);
    imagesScored = f.data(IMAGES_SCORED, ScoredImage.class, retention(30));
    // Training data for RLHF: kept until exported.
    badCases = f.data(BAD_CASES, BadCase.class, retention(90));
    requestResults = f.data(REQUEST_RESULTS, RequestResult.class, compacted());
    preferencePairs = f.data(PREFERENCE_PAIRS, PreferencePair.class, retention(90));
    batchResults = f.data(BATCH_RESULTS, BatchResult.class, compacted());
    all = List.of(promptRequests, promptRequestsDlq, batches, generationJobs, generationJobsDlq, imagesGenerated,
        imagesGeneratedDlq, imagesScored, badCases, requestResults, preferencePairs, batchResults);
  }

  /** The production catalogue: plain names, {@value #DEFAULT_PARTITIONS} partitions, auto-registered schemas. */
  public static Topics create(SchemaRegistryClient registry) {
    return new Topics("", DEFAULT_PARTITIONS, registry, true);
  }

  /**
   * A catalogue whose names all start with {@code prefix} (so tests can run side by side on one
   * broker) and whose data topics have {@code partitions} partitions.
   */
  public static Topics create(SchemaRegistryClient registry, String prefix, int partitions, boolean autoRegister) {
    return new Topics(prefix, partitions, registry, autoRegister);
  }

  /** Every topic, in pipeline order. */
  public List<Topic<?, ?>> all() {
    return all;
  }

  /** The dead-letter topic that receives what could not be processed from {@code topic}, if it has one. */
  public Optional<Topic<byte[], byte[]>> deadLetterOf(Topic<?, ?> topic) {
    for (Topic<?, ?> t : all) {
      if (t.name().equals(topic.name() + DLQ_SUFFIX)) {
        @SuppressWarnings("unchecked")
        Topic<byte[], byte[]> dlq = (Topic<byte[], byte[]>) t;
        return Optional.of(dlq);
      }
    }
    return Optional.empty();
  }

  private static Map<String, String> retention(int days) {
    return Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.RETENTION_MS_CONFIG, Long.toString(days * DAY_MS));
  }

  private static Map<String, String> compacted() {
    return Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
        // Keep the newest value per key readable for at least an hour before compaction touches it.
        TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, Long.toString(Duration.ofHours(1).toMillis()),
        TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.1");
  }

  private record Factory(String prefix, int partitions, SchemaRegistryClient registry, boolean autoRegister) {
    <V extends SpecificRecord> Topic<String, V> data(String name, Class<V> type, Map<String, String> configs) {
      Serde<V> serde = new AvroSerde<>(type, registry, autoRegister);
      serde.configure(Map.of(), false);
      return new Topic<>(prefix + name, partitions, configs, Serdes.String(), serde);
    }

    Topic<byte[], byte[]> deadLetter(String source) {
      Map<String, String> configs = new HashMap<>(retention(30));
      return new Topic<>(prefix + source + DLQ_SUFFIX, 1, configs, Serdes.ByteArray(), Serdes.ByteArray());
    }
  }
}
