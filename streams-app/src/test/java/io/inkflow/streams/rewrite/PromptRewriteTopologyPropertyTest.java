package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.schemas.Topics;
import io.inkflow.testing.MemoryRegistry;
import io.inkflow.testing.arbitrary.ArbitraryEvents;
import io.inkflow.testing.arbitrary.ArbitraryText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeProperty;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.slf4j.LoggerFactory;

/**
 * The PE topology on arbitrary requests, written by the project's serializer as a client would:
 * each one ends as exactly one outcome — its numImages jobs on generation-jobs, or one dead letter
 * with an error code (plus a REJECTED result when its requestId can key one) — and nothing throws out
 * of the driver. A request the serializer refuses never reaches the topic: the client gets the error.
 *
 * <p>One driver serves every try; before each try the identity store is emptied, so each request is
 * judged as the first of its id (duplicates and conflicts have their own example tests).
 */
class PromptRewriteTopologyPropertyTest {
  private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");
  /** The longest requestId a REJECTED result is keyed by (PromptRewriteProcessor.MAX_RESULT_KEY_CHARS). */
  private static final int MAX_RESULT_KEY_CHARS = 1024;
  private static final String REWRITE_LOGGER = "io.inkflow.streams.rewrite";
  private static MemoryRegistry client;
  private static Topics topics;
  private static Level rewriteLevel;

  private Path stateDir;
  private TopologyTestDriver driver;
  private boolean broken;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, GenerationJob> jobs;
  private TestOutputTopic<String, RequestResult> results;
  private TestOutputTopic<byte[], byte[]> dlq;

  /** The record key a request is sent under: its requestId as clients send it, none, or another. */
  enum Key { REQUEST_ID, NONE, OTHER }

  @BeforeContainer
  static void startRegistry() throws Exception {
    client = new MemoryRegistry();
    topics = Topics.create(client, "", 1, true);
    // Every refusal is logged at WARN with the request id, which here is sometimes 100k characters long.
    Logger rewrite = (Logger) LoggerFactory.getLogger(REWRITE_LOGGER);
    rewriteLevel = rewrite.getLevel();
    rewrite.setLevel(Level.ERROR);
  }

  @AfterContainer
  static void stopRegistry() {
    ((Logger) LoggerFactory.getLogger(REWRITE_LOGGER)).setLevel(rewriteLevel);
    client.close();
  }

  @BeforeProperty
  void open() throws IOException {
    stateDir = Files.createTempDirectory("pe-props");
    openDriver();
  }

  private void openDriver() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pe-props");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    RequestPlanner planner = TestPack.planner(PeLimits.defaults().withBlocklist(List.of("forbidden")));
    driver = new TopologyTestDriver(PromptRewriteTopology.build(topics, planner, Duration.ofDays(7)), props, T0);
    input = driver.createInputTopic(topics.promptRequests.name(), new ByteArraySerializer(), new ByteArraySerializer(), T0, Duration.ofMillis(1));
    jobs = driver.createOutputTopic(topics.generationJobs.name(), new StringDeserializer(), topics.generationJobs.valueSerde().deserializer());
    results = driver.createOutputTopic(topics.requestResults.name(), new StringDeserializer(), topics.requestResults.valueSerde().deserializer());
    dlq = driver.createOutputTopic(topics.promptRequestsDlq.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    broken = false;
  }

  @AfterProperty
  void close() throws IOException {
    driver.close();
    try (Stream<Path> files = Files.walk(stateDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Each try starts from an empty identity store and empty outputs; a driver that threw is replaced. */
  @BeforeTry
  void forgetEarlierTries() {
    if (broken) {
      driver.close();
      openDriver();
    }
    KeyValueStore<String, AcceptedRequest> identities = driver.getKeyValueStore(PromptRewriteTopology.IDENTITY_STORE);
    try (var all = identities.all()) {
      all.forEachRemaining(kv -> identities.delete(kv.key));
    }
    // The driver keeps every record it produced until read, changelogs included: drop them all.
    for (String topic : driver.producedTopicNames()) {
      driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()).readRecordsToList();
    }
  }

  @Provide
  Arbitrary<PromptRequest> requests() {
    return ArbitraryEvents.requests();
  }

  @Provide
  Arbitrary<Key> keys() {
    return Arbitraries.frequency(
        net.jqwik.api.Tuple.of(18, Key.REQUEST_ID), net.jqwik.api.Tuple.of(1, Key.NONE), net.jqwik.api.Tuple.of(1, Key.OTHER));
  }

  @Property(seed = "20261125")
  void eachRequestEndsAsExactlyOneOutcome(@ForAll("requests") PromptRequest request, @ForAll("keys") Key keyChoice) {
    byte[] value;
    try {
      value = topics.promptRequests.valueSerde().serializer().serialize(topics.promptRequests.name(), request);
    } catch (SerializationException e) {
      // The client's producer refuses it: nothing reaches the topic, the client gets this error.
      Statistics.label("outcome").collect("refused by the serializer");
      Statistics.label("refused by the serializer").collect(ArbitraryEvents.nullsWhereForbidden(request).toString());
      return;
    }
    byte[] key = switch (keyChoice) {
      case REQUEST_ID -> request.getRequestId().getBytes(StandardCharsets.UTF_8);
      case NONE -> null;
      case OTHER -> "another-key".getBytes(StandardCharsets.UTF_8);
    };
    double before = handledTotal();
    try {
      input.pipeInput(key, value);
    } catch (RuntimeException e) {
      broken = true;
      throw new AssertionError("the PE topology threw on " + ArbitraryEvents.summary(request), e);
    }

    List<KeyValue<String, GenerationJob>> emitted = jobs.readKeyValuesToList();
    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    List<KeyValue<String, RequestResult>> answered = results.readKeyValuesToList();
    int outcomes = (emitted.isEmpty() ? 0 : 1) + dead.size();
    assertThat(outcomes).as("outcomes of %s: %d job(s), %d dead letter(s)", ArbitraryEvents.summary(request),
        emitted.size(), dead.size()).isEqualTo(1);
    assertThat(handledTotal() - before).as("requests counted as accepted, rejected or duplicate").isEqualTo(1.0);

    // What the topology read: the request as the serializer carried it (lone surrogates became '?').
    PromptRequest read = topics.promptRequests.valueSerde().deserializer().deserialize(topics.promptRequests.name(), value);
    if (!emitted.isEmpty()) {
      Statistics.label("outcome").collect("accepted");
      assertThat(emitted).as("one job per variant").hasSize(read.getNumImages());
      for (int i = 0; i < emitted.size(); i++) {
        assertThat(emitted.get(i).key).isEqualTo(read.getRequestId() + "-" + i);
        assertThat(emitted.get(i).value.getVariant()).isEqualTo(i);
        assertThat(emitted.get(i).value.getRequest()).isEqualTo(read);
      }
      assertThat(answered).as("an accepted request has no result yet").isEmpty();
      return;
    }
    TestRecord<byte[], byte[]> letter = dead.get(0);
    String code = DeadLetterHeaders.get(letter.headers(), DeadLetterHeaders.ERROR_CODE);
    Statistics.label("outcome").collect("dead letter");
    Statistics.label("dead letter").collect(code);
    assertThat(code).as("inkflow.error.code").isIn(Arrays.stream(RejectReason.values()).map(Enum::name).toList());
    assertThat(DeadLetterHeaders.get(letter.headers(), DeadLetterHeaders.ERROR_MESSAGE)).isNotBlank();
    assertThat(letter.value()).as("the original bytes").isEqualTo(value);
    assertThat(letter.key()).as("the original key").isEqualTo(key);
    String id = read.getRequestId();
    boolean keyable = !id.isEmpty() && id.length() <= MAX_RESULT_KEY_CHARS;
    assertThat(answered).as("REJECTED results for requestId %s", ArbitraryText.brief(id)).hasSize(keyable ? 1 : 0);
    if (keyable) {
      assertThat(answered.get(0).key).isEqualTo(id);
      assertThat(answered.get(0).value.getStatus()).isEqualTo(RequestStatus.REJECTED);
      assertThat(answered.get(0).value.getReasonCode()).isEqualTo(code);
      assertThat(answered.get(0).value.getBatchId()).isEqualTo(read.getBatchId());
    }
  }

  /** requests-accepted + requests-rejected + requests-duplicate, as the stage's metrics count them. */
  private double handledTotal() {
    return driver.metrics().entrySet().stream()
        .filter(e -> e.getKey().group().equals("stream-" + PromptRewriteTopology.METRICS_SCOPE + "-metrics"))
        .filter(e -> List.of("requests-accepted-total", "requests-rejected-total", "requests-duplicate-total").contains(e.getKey().name()))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .sum();
  }
}
