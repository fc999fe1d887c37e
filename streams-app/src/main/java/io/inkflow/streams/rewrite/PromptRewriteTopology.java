package io.inkflow.streams.rewrite;

import io.inkflow.avro.GenerationJob;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.serde.AvroSerializer;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

/**
 * The PE-rewrite stage: {@code prompt-requests} → {@code generation-jobs}, with refusals to
 * {@code prompt-requests.dlq} and REJECTED results to {@code request-results}.
 *
 * <p>The source reads raw bytes so that unreadable records reach the dead-letter topic with their
 * original bytes, as the processor decides, rather than stopping the task.
 */
public final class PromptRewriteTopology {
  public static final String METRICS_SCOPE = "inkflow-pe";
  public static final String SOURCE = "prompt-requests-source";
  public static final String PROCESSOR = "pe-rewrite";
  public static final String IDENTITY_STORE = "pe-request-identities";
  public static final String JOBS_SINK = "generation-jobs-sink";
  public static final String RESULTS_SINK = "request-results-sink";
  public static final String DLQ_SINK = "prompt-requests-dlq-sink";

  private PromptRewriteTopology() {}

  /** The topics this stage reads and writes, for the start-up check. */
  public static List<Topic<?, ?>> topicsUsed(Topics topics) {
    return List.of(topics.promptRequests, topics.promptRequestsDlq, topics.generationJobs, topics.requestResults);
  }

  /**
   * Builds the topology.
   *
   * @param topics the catalogue (names and serdes)
   * @param planner the pure planning logic, bound to the deployed pack
   * @param idempotencyRetention how long a requestId's identity is remembered
   */
  public static Topology build(Topics topics, RequestPlanner planner, Duration idempotencyRetention) {
    if (!(topics.generationJobs.valueSerde().serializer() instanceof AvroSerializer<GenerationJob> jobSerializer)) {
      throw new IllegalArgumentException("the PE stage writes generation jobs with an AvroSerializer; found "
          + topics.generationJobs.valueSerde().serializer().getClass().getName());
    }
    Topology topology = new Topology();
    topology.addSource(SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), topics.promptRequests.name());
    topology.addProcessor(PROCESSOR,
        () -> new PromptRewriteProcessor(planner, topics.promptRequests.valueSerde().deserializer(), jobSerializer,
            topics.generationJobs.name(), IDENTITY_STORE, idempotencyRetention),
        SOURCE);
    topology.addStateStore(Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(IDENTITY_STORE), Serdes.String(), AcceptedRequest.SERDE), PROCESSOR);
    // Job values arrive encoded: the processor writes a request's jobs together (FanOutEncoder).
    topology.addSink(JOBS_SINK, topics.generationJobs.name(),
        topics.generationJobs.keySerde().serializer(),
        new ByteArraySerializer(), PROCESSOR);
    topology.addSink(RESULTS_SINK, topics.requestResults.name(),
        topics.requestResults.keySerde().serializer(),
        topics.requestResults.valueSerde().serializer(), PROCESSOR);
    topology.addSink(DLQ_SINK, topics.promptRequestsDlq.name(),
        topics.promptRequestsDlq.keySerde().serializer(),
        topics.promptRequestsDlq.valueSerde().serializer(), PROCESSOR);
    return topology;
  }
}
