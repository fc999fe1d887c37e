package io.inkflow.streams.scoring;

import io.inkflow.avro.BatchSubmitted;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.ObjectStore;
import io.inkflow.streams.batches.BatchEvent;
import io.inkflow.streams.batches.BatchTracker;
import io.inkflow.streams.results.RequestAggregator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The reward-scoring stage: reward scoring (this package), best-of-N results
 * ({@code io.inkflow.streams.results}) and batch completion ({@code io.inkflow.streams.batches}) wired
 * into two sub-topologies:
 * <ol>
 *   <li>{@code images-generated} (raw bytes) → {@link ScoringProcessor} (dedupe by jobId, buffer,
 *       micro-batch scoring) → {@code images-scored} and {@code images-generated.dlq}; → 
 *       {@link RequestAggregator} (best-of-N per requestId) → {@code request-results},
 *       {@code preference-pairs}, {@code bad-cases}.</li>
 *   <li>{@code batches} + {@code request-results} (the PE stage's REJECTED ones included), re-keyed by
 *       batchId → {@link BatchTracker} → manifest in S3 and {@code batch-results}.</li>
 * </ol>
 * Every operator and store is named, so state stays attached to its node when the topology changes.
 */
public final class ScoringTopology {
  public static final String METRICS_SCOPE = "inkflow-scoring";
  public static final String SOURCE = "images-generated-source";
  public static final String SCORER = "reward-scoring";
  public static final String AGGREGATOR = "request-aggregator";
  public static final String SEEN_JOBS_STORE = "scoring-seen-jobs";
  public static final String PENDING_STORE = "scoring-pending-images";
  public static final String SCORED_SINK = "images-scored-sink";
  public static final String DLQ_SINK = "images-generated-dlq-sink";
  public static final String BATCH_EVENTS = "batch-events";
  public static final String BATCH_TRACKER = "batch-tracker";
  /**
   * The scoring app's transaction timeout. A micro-batch is scored inside the stream thread's open
   * transaction; with a text head that reads every image (PP-OCR on a CPU, 0.2-0.5 s per 512-px image) a
   * batch of 16 can outlast the 10 s Kafka Streams gives a transaction under exactly-once, and the
   * broker then aborts it and fences the producer, so the batch is scored again after the task
   * migrates (seen in {@code scripts/bench/scoring --pack infra/models/mini-reward-ppocr --text}). Two
   * minutes, within the broker's default {@code transaction.max.timeout.ms} of 15; replaceable through
   * {@code INKFLOW_KAFKA_CLIENT_PRODUCER_TRANSACTION_TIMEOUT_MS}.
   */
  public static final int TRANSACTION_TIMEOUT_MS = 120_000;

  private ScoringTopology() {}

  /** The scoring app's own Streams settings on top of {@code props}, each kept when {@code props} already has it. */
  public static Properties withScoringDefaults(Properties props) {
    props.putIfAbsent(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), TRANSACTION_TIMEOUT_MS);
    return props;
  }

  /** The topics this stage reads and writes, for the start-up check. */
  public static List<Topic<?, ?>> topicsUsed(Topics topics) {
    return List.of(topics.imagesGenerated, topics.imagesGeneratedDlq, topics.batches, topics.requestResults, topics.imagesScored,
        topics.badCases, topics.preferencePairs, topics.batchResults);
  }

  /**
   * Builds the topology.
   *
   * @param topics the catalogue (names and serdes)
   * @param settings batching, limits, timeouts
   * @param images where images are read and manifests written
   * @param scorer the reward pack
   * @param policy weights and thresholds that turn scores into verdicts
   */
  public static Topology build(Topics topics, ScoringSettings settings, ObjectStore images, ImageScorer scorer, RewardPolicy policy) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, BatchEvent> announced = builder
        .stream(topics.batches.name(), Consumed.with(topics.batches.keySerde(), topics.batches.valueSerde()).withName("batches-source"))
        .filter((k, v) -> k != null && v != null, Named.as("batches-not-tombstones"))
        .mapValues((BatchSubmitted v) -> BatchEvent.of(v), Named.as("batches-as-events"));
    KStream<String, BatchEvent> finished = builder
        .stream(topics.requestResults.name(), Consumed.with(topics.requestResults.keySerde(), topics.requestResults.valueSerde())
            .withName("request-results-source"))
        .filter((k, v) -> v != null && v.getBatchId() != null, Named.as("results-in-a-batch"))
        .map((k, v) -> KeyValue.pair(v.getBatchId(), BatchEvent.of(v)), Named.as("results-by-batch"));
    BatchTracker.stores().forEach(builder::addStateStore);
    announced.merge(finished, Named.as("batch-events-merged"))
        .repartition(Repartitioned.<String, BatchEvent>as(BATCH_EVENTS).withKeySerde(Serdes.String()).withValueSerde(BatchEvent.serde(topics)))
        .process(() -> new BatchTracker(METRICS_SCOPE, images, settings.batchIdleTimeout(), settings.retention()), Named.as(BATCH_TRACKER),
            BatchTracker.BATCHES_STORE, BatchTracker.BATCH_ROWS_STORE)
        .to(topics.batchResults.name(), Produced.with(topics.batchResults.keySerde(), topics.batchResults.valueSerde()).withName("batch-results-sink"));

    Topology topology = builder.build();
    topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.imagesGenerated.name());
    topology.addProcessor(SCORER,
        () -> new ScoringProcessor(settings, topics.imagesGenerated.valueSerde().deserializer(), images, scorer, policy), SOURCE);
    RequestAggregator.Settings aggregation = new RequestAggregator.Settings(settings.requestTimeout(), settings.timeoutCheckInterval(),
        settings.retention(), settings.minPairMargin());
    Map<String, Double> thresholds = policy.thresholdMap();
    topology.addProcessor(AGGREGATOR, () -> new RequestAggregator(METRICS_SCOPE, aggregation, thresholds), SCORER);
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(SEEN_JOBS_STORE), Serdes.String(), Serdes.Long()), SCORER);
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(PENDING_STORE), Serdes.String(), PendingImage.SERDE)
        .withCachingEnabled(), SCORER);
    RequestAggregator.stores().forEach(store -> topology.addStateStore(store, AGGREGATOR));
    sink(topology, SCORED_SINK, topics.imagesScored, SCORER);
    sink(topology, DLQ_SINK, topics.imagesGeneratedDlq, SCORER);
    sink(topology, RequestAggregator.RESULTS_SINK, topics.requestResults, AGGREGATOR);
    sink(topology, RequestAggregator.PAIRS_SINK, topics.preferencePairs, AGGREGATOR);
    sink(topology, RequestAggregator.BAD_CASES_SINK, topics.badCases, AGGREGATOR);
    return topology;
  }

  private static void sink(Topology topology, String name, Topic<?, ?> topic, String parent) {
    topology.addSink(name, topic.name(), topic.keySerde().serializer(), topic.valueSerde().serializer(), parent);
  }
}
