package io.inkflow.schemas;

import io.inkflow.avro.ApiSubmission;
import io.inkflow.avro.BadCase;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.schemas.registry.SchemaRegistryClient;
import io.inkflow.schemas.serde.AvroSerde;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
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
  /** Partitions of data topics unless configured otherwise ({@link TopicSettings}); co-partitioned topics must agree. */
  public static final int DEFAULT_PARTITIONS = TopicSettings.DEFAULT_PARTITIONS;

  public static final String PROMPT_REQUESTS = "prompt-requests";
  public static final String BATCHES = "batches";
  public static final String GENERATION_JOBS = "generation-jobs";
  public static final String IMAGES_GENERATED = "images-generated";
  public static final String IMAGES_SCORED = "images-scored";
  public static final String BAD_CASES = "bad-cases";
  public static final String REQUEST_RESULTS = "request-results";
  public static final String PREFERENCE_PAIRS = "preference-pairs";
  public static final String BATCH_RESULTS = "batch-results";
  public static final String HUMAN_VERDICTS = "human-verdicts";
  public static final String HUMAN_PREFERENCES = "human-preferences";
  public static final String WEBHOOK_DELIVERIES = "webhook-deliveries";
  public static final String API_SUBMISSIONS = "api-submissions";

  /** The data topics (all but dead letters), whose partition counts a deployment chooses. */
  public static final List<String> DATA_TOPICS = List.of(PROMPT_REQUESTS, BATCHES, GENERATION_JOBS, IMAGES_GENERATED,
      IMAGES_SCORED, BAD_CASES, REQUEST_RESULTS, PREFERENCE_PAIRS, BATCH_RESULTS, HUMAN_VERDICTS, HUMAN_PREFERENCES,
      WEBHOOK_DELIVERIES, API_SUBMISSIONS);

  /**
   * Topics that one sub-topology reads together and that must therefore keep equal partition counts
   * (task {@code n} reads partition {@code n} of each).
   *
   * @param topics catalogue names without prefix
   * @param readBy the sub-topology that reads them, for messages
   */
  public record CoPartition(List<String> topics, String readBy) {
    public CoPartition {
      topics = List.copyOf(topics);
      if (topics.size() < 2) {
        throw new IllegalArgumentException("a co-partitioned group needs two topics or more, found " + topics);
      }
    }
  }

  /**
   * Every co-partitioned group. {@code batches} and {@code request-results} feed the scoring stream's
   * batch-completion sub-topology together (merged, then re-keyed by batchId); every other sub-topology
   * reads one catalogue topic. ({@code human-verdicts} and {@code human-preferences} are keyed by
   * requestId like {@code request-results}, but no topology reads them together with another topic.)
   */
  public static final List<CoPartition> CO_PARTITIONED = List.of(
      new CoPartition(List.of(BATCHES, REQUEST_RESULTS), "the scoring stream's batch-completion sub-topology"));

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
  public final Topic<String, HumanVerdict> humanVerdicts;
  public final Topic<String, HumanPreference> humanPreferences;
  /** Webhook subscriptions and every delivery attempt, keyed {@code {kind}:{subjectId}}; written by the API. */
  public final Topic<String, WebhookDelivery> webhookDeliveries;
  /** What the API accepted per Idempotency-Key, keyed {@code {token name}:{key}}; written by the API. */
  public final Topic<String, ApiSubmission> apiSubmissions;

  private final String prefix;
  private final TopicSettings settings;
  private final List<Topic<?, ?>> all;

  private Topics(String prefix, TopicSettings settings, SchemaRegistryClient registry, boolean autoRegister) {
    this.prefix = Objects.requireNonNull(prefix, "prefix");
    this.settings = Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(registry, "registry");
    Factory f = new Factory(prefix, settings, registry, autoRegister);
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
    // People's judgements cost money and labelling tools rebuild their queues from them: a year, not 90 days.
    humanVerdicts = f.data(HUMAN_VERDICTS, HumanVerdict.class, retention(365));
    humanPreferences = f.data(HUMAN_PREFERENCES, HumanPreference.class, retention(365));
    // The newest record of a key is a subscription's whole state; pending deliveries are rebuilt from it at start.
    webhookDeliveries = f.data(WEBHOOK_DELIVERIES, WebhookDelivery.class, compacted());
    apiSubmissions = f.data(API_SUBMISSIONS, ApiSubmission.class, compacted());
    all = List.of(promptRequests, promptRequestsDlq, batches, generationJobs, generationJobsDlq, imagesGenerated,
        imagesGeneratedDlq, imagesScored, badCases, requestResults, preferencePairs, batchResults, humanVerdicts,
        humanPreferences, webhookDeliveries, apiSubmissions);
  }

  /** The catalogue with default settings: plain names, {@value #DEFAULT_PARTITIONS} partitions, auto-registered schemas. */
  public static Topics create(SchemaRegistryClient registry) {
    return new Topics("", TopicSettings.defaults(), registry, true);
  }

  /**
   * A catalogue whose names all start with {@code prefix} (so tests can run side by side on one
   * broker) and whose data topics have {@code partitions} partitions, one replica each.
   */
  public static Topics create(SchemaRegistryClient registry, String prefix, int partitions, boolean autoRegister) {
    return new Topics(prefix, TopicSettings.uniform(partitions), registry, autoRegister);
  }

  /** A deployment's catalogue: names start with {@code prefix}; counts, replicas and min ISR from {@code settings}. */
  public static Topics create(SchemaRegistryClient registry, String prefix, TopicSettings settings, boolean autoRegister) {
    return new Topics(prefix, settings, registry, autoRegister);
  }

  /** The prefix every name starts with. */
  public String prefix() {
    return prefix;
  }

  /** The deployment's partition counts, replication factor and min ISR. */
  public TopicSettings settings() {
    return settings;
  }

  /** Every topic as an Admin {@link NewTopic}: its partitions and configs, the deployment's replication factor. */
  public List<NewTopic> newTopics() {
    return all.stream().map(t -> t.newTopic(settings.replicationFactor())).toList();
  }

  /** The topic named {@code name} (prefix included), if the catalogue has it. */
  public Optional<Topic<?, ?>> byName(String name) {
    return all.stream().<Topic<?, ?>>map(t -> t).filter(t -> t.name().equals(name)).findFirst();
  }

  /** The co-partitioned group {@code topic} belongs to, if any. */
  public Optional<CoPartition> coPartitionOf(Topic<?, ?> topic) {
    return CO_PARTITIONED.stream().filter(g -> g.topics().stream().anyMatch(t -> (prefix + t).equals(topic.name()))).findFirst();
  }

  /** The variable that sets {@code topic}'s partition count, for messages. */
  public String partitionsVariable(Topic<?, ?> topic) {
    String base = topic.name().startsWith(prefix) ? topic.name().substring(prefix.length()) : topic.name();
    if (!DATA_TOPICS.contains(base)) {
      return "none: dead-letter topics have 1 partition";
    }
    return settings.partitionOverrides().containsKey(base) ? TopicSettings.partitionsVariable(base) : TopicSettings.PARTITIONS;
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

  private record Factory(String prefix, TopicSettings settings, SchemaRegistryClient registry, boolean autoRegister) {
    <V extends SpecificRecord> Topic<String, V> data(String name, Class<V> type, Map<String, String> configs) {
      Serde<V> serde = new AvroSerde<>(type, registry, autoRegister);
      serde.configure(Map.of(), false);
      return new Topic<>(prefix + name, settings.partitionsOf(name), withMinIsr(configs), Serdes.String(), serde);
    }

    Topic<byte[], byte[]> deadLetter(String source) {
      // Dead letters are rare and replayed in order by hand: one partition whatever the deployment.
      return new Topic<>(prefix + source + DLQ_SUFFIX, 1, withMinIsr(retention(30)), Serdes.ByteArray(), Serdes.ByteArray());
    }

    private Map<String, String> withMinIsr(Map<String, String> configs) {
      Map<String, String> out = new HashMap<>(configs);
      out.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(settings.minInsyncReplicas()));
      return out;
    }
  }
}
