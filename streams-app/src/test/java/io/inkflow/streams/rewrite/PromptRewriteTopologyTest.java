package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.common.LogText;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.schemas.Topics;
import io.inkflow.streams.common.StreamsMain;
import io.inkflow.testing.ExampleEvents;
import io.inkflow.testing.MemoryRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PromptRewriteTopologyTest {
  private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");
  private static MemoryRegistry client;
  private static Topics topics;

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<String, GenerationJob> jobs;
  private TestOutputTopic<String, RequestResult> results;
  private TestOutputTopic<byte[], byte[]> dlq;

  @BeforeAll
  static void startRegistry() throws Exception {
    client = new MemoryRegistry();
    topics = Topics.create(client, "", 1, true);
  }

  @AfterAll
  static void stopRegistry() {
    client.close();
  }

  @BeforeEach
  void start() {
    open(Duration.ofDays(7));
  }

  private void open(Duration retention) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "pe-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    RequestPlanner planner = TestPack.planner(PeLimits.defaults().withBlocklist(List.of("forbidden")));
    driver = new TopologyTestDriver(PromptRewriteTopology.build(topics, planner, retention), props, T0);
    input = driver.createInputTopic(topics.promptRequests.name(), new ByteArraySerializer(), new ByteArraySerializer(), T0, Duration.ofMillis(1));
    jobs = driver.createOutputTopic(topics.generationJobs.name(), new StringDeserializer(), topics.generationJobs.valueSerde().deserializer());
    results = driver.createOutputTopic(topics.requestResults.name(), new StringDeserializer(), topics.requestResults.valueSerde().deserializer());
    dlq = driver.createOutputTopic(topics.promptRequestsDlq.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  static PromptRequest.Builder request(String id) {
    return PromptRequest.newBuilder().setRequestId(id).setBatchId("b1").setPrompt("a red circle on a blue background")
        .setNumImages(2).setSeed(10L).setSubmittedAt(T0);
  }

  private static byte[] bytes(PromptRequest r) {
    return topics.promptRequests.valueSerde().serializer().serialize(topics.promptRequests.name(), r);
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  private void send(String key, byte[] value) {
    input.pipeInput(utf8(key), value);
  }

  private void send(PromptRequest r) {
    send(r.getRequestId(), bytes(r));
  }

  @Test
  void theTopologyReadsOneCatalogueTopicPerSubTopologySoNoneNeedsCoPartitioning() {
    RequestPlanner planner = TestPack.planner(PeLimits.defaults());
    assertThat(StreamsMain.sourceTopicsBySubtopology(PromptRewriteTopology.build(topics, planner, Duration.ofDays(7)), topics))
        .containsExactly(Set.of(topics.promptRequests.name()));
  }

  @Test
  void aValidRequestFansOutToOneJobPerVariantKeyedByJobId() {
    send(request("sku-1").setNumImages(3).build());
    List<org.apache.kafka.streams.KeyValue<String, GenerationJob>> out = jobs.readKeyValuesToList();
    assertThat(out).extracting(kv -> kv.key).containsExactly("sku-1-0", "sku-1-1", "sku-1-2");
    assertThat(out).extracting(kv -> kv.value.getSeed()).containsExactly(10L, 11L, 12L);
    assertThat(out.get(0).value.getRequest()).isEqualTo(request("sku-1").setNumImages(3).build());
    assertThat(results.isEmpty()).isTrue();
    assertThat(dlq.isEmpty()).isTrue();
    assertThat(metric("requests-accepted-total")).isEqualTo(1.0);
    assertThat(metric("jobs-emitted-total")).isEqualTo(3.0);
  }

  static Stream<Arguments> invalidRequests() {
    return Stream.of(
        Arguments.of(RejectReason.EMPTY_PROMPT, (UnaryOperator<PromptRequest.Builder>) b -> b.setPrompt(" \t ")),
        Arguments.of(RejectReason.PROMPT_TOO_LONG, (UnaryOperator<PromptRequest.Builder>) b -> b.setPrompt("y".repeat(5000))),
        Arguments.of(RejectReason.TOO_MANY_TOKENS, (UnaryOperator<PromptRequest.Builder>) b -> b.setPrompt("cat ".repeat(400))),
        Arguments.of(RejectReason.RENDER_TEXT_INVALID, (UnaryOperator<PromptRequest.Builder>) b -> b.setRenderText(List.of("a", "b", "c", "d", "e"))),
        Arguments.of(RejectReason.SIZE_OUT_OF_RANGE, (UnaryOperator<PromptRequest.Builder>) b -> b.setWidth(100_000).setHeight(100_000)),
        Arguments.of(RejectReason.ASPECT_OUT_OF_RANGE, (UnaryOperator<PromptRequest.Builder>) b -> b.setAspect("10:1")),
        Arguments.of(RejectReason.NUM_IMAGES_OUT_OF_RANGE, (UnaryOperator<PromptRequest.Builder>) b -> b.setNumImages(-3)),
        Arguments.of(RejectReason.GUIDANCE_OUT_OF_RANGE, (UnaryOperator<PromptRequest.Builder>) b -> b.setGuidanceScale(Float.NaN)),
        Arguments.of(RejectReason.GUIDANCE_OUT_OF_RANGE, (UnaryOperator<PromptRequest.Builder>) b -> b.setGuidanceScale(-2f)),
        Arguments.of(RejectReason.STEPS_OUT_OF_RANGE, (UnaryOperator<PromptRequest.Builder>) b -> b.setSteps(999)),
        Arguments.of(RejectReason.TOO_MANY_TAGS, (UnaryOperator<PromptRequest.Builder>) b -> b.setTags(manyTags())),
        Arguments.of(RejectReason.INVALID_BATCH_ID, (UnaryOperator<PromptRequest.Builder>) b -> b.setBatchId("a/b")),
        Arguments.of(RejectReason.BLOCKED_CONTENT, (UnaryOperator<PromptRequest.Builder>) b -> b.setPrompt("a forbidden object")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidRequests")
  void eachRefusalGoesToTheDlqWithOriginalBytesHeadersAndARejectedResult(RejectReason reason, UnaryOperator<PromptRequest.Builder> change) {
    send(request("ok-1").build());
    PromptRequest bad = change.apply(request("bad-1")).build();
    byte[] original = bytes(bad);
    send("bad-1", original);

    assertThat(jobs.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("ok-1-0", "ok-1-1");
    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertThat(dead.key()).isEqualTo(utf8("bad-1"));
    assertThat(dead.value()).isEqualTo(original);
    assertDeadLetterHeaders(dead.headers(), reason, 1);
    assertThat(dlq.isEmpty()).isTrue();

    TestRecord<String, RequestResult> result = results.readRecord();
    assertThat(result.key()).isEqualTo("bad-1");
    assertThat(result.value().getStatus()).isEqualTo(RequestStatus.REJECTED);
    assertThat(result.value().getReasonCode()).isEqualTo(reason.name());
    assertThat(result.value().getReasonMessage()).isNotBlank();
    assertThat(result.value().getBatchId()).isEqualTo(bad.getBatchId());
    assertThat(results.isEmpty()).isTrue();
    assertThat(metric("requests-rejected-total")).isEqualTo(1.0);
  }

  @Test
  void unreadableBytesTombstonesAndForeignSchemasAreDeadLetteredAndTheAppCarriesOn() {
    byte[] garbage = {0x13, 0x37, 1, 2, 3, 4, 5};
    byte[] truncated = Arrays.copyOf(bytes(request("t-1").build()), 12);
    byte[] foreign = topics.batches.valueSerde().serializer().serialize(topics.batches.name(), ExampleEvents.of(BatchSubmitted.class));
    send("g-1", garbage);
    send("t-1", truncated);
    send("f-1", foreign);
    send("tomb-1", null);
    input.pipeInput((byte[]) null, garbage);
    send(request("after-1").build());

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).hasSize(5);
    assertThat(dead.get(0).value()).isEqualTo(garbage);
    assertDeadLetterHeaders(dead.get(0).headers(), RejectReason.DESERIALIZATION_FAILED, 0);
    assertThat(DeadLetterHeaders.get(dead.get(0).headers(), DeadLetterHeaders.ERROR_MESSAGE)).contains("magic byte 0x13");
    assertThat(dead.get(1).value()).isEqualTo(truncated);
    assertThat(DeadLetterHeaders.get(dead.get(1).headers(), DeadLetterHeaders.ERROR_MESSAGE)).contains("truncated or corrupt");
    assertThat(DeadLetterHeaders.get(dead.get(2).headers(), DeadLetterHeaders.ERROR_MESSAGE)).contains("BatchSubmitted, which cannot be read as");
    assertThat(dead.get(3).value()).isNull();
    assertDeadLetterHeaders(dead.get(3).headers(), RejectReason.TOMBSTONE, 3);
    assertThat(dead.get(4).key()).isNull();

    // The readable keys get a REJECTED result; the record without a key cannot.
    assertThat(results.readKeyValuesToList()).extracting(kv -> kv.key + ":" + kv.value.getReasonCode())
        .containsExactly("g-1:DESERIALIZATION_FAILED", "t-1:DESERIALIZATION_FAILED", "f-1:DESERIALIZATION_FAILED", "tomb-1:TOMBSTONE");
    assertThat(jobs.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("after-1-0", "after-1-1");
  }

  @Test
  void invalidUtf8FromAnotherProducerIsDeadLetteredAsSuchNotReadAsReplacementCharacters() {
    byte[] good = bytes(request("u-1").setPrompt("a cat XY").build());
    byte[] bad = good.clone();
    for (int i = 0; i + 1 < bad.length; i++) {
      if (bad[i] == 'X' && bad[i + 1] == 'Y') {
        bad[i] = (byte) 0xc3; // a lead byte followed by ASCII: no UTF-8 encoder writes that
        break;
      }
    }
    send("u-1", bad);
    send(request("after-1").build());
    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).singleElement().satisfies(d -> {
      assertThat(d.value()).isEqualTo(bad);
      assertDeadLetterHeaders(d.headers(), RejectReason.INVALID_UTF8, 0);
      assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_MESSAGE)).contains("field prompt", "not well-formed UTF-8");
    });
    assertThat(results.readKeyValuesToList()).extracting(kv -> kv.key + ":" + kv.value.getReasonCode()).containsExactly("u-1:INVALID_UTF8");
    assertThat(jobs.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("after-1-0", "after-1-1");
  }

  @Test
  void hostileIdsAreQuotedInLogsCutAndEscaped() {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PromptRewriteProcessor.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines = new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      String longId = "x".repeat(1011);
      send(longId, bytes(request(longId).build()));
      send("evil\nINFO forged", bytes(request("evil\nINFO forged").build()));
    } finally {
      logger.detachAppender(lines);
    }
    assertThat(lines.list).hasSize(2).allSatisfy(e -> {
      assertThat(e.getFormattedMessage()).hasSizeLessThan(700).doesNotContain("x".repeat(LogText.MAX_CHARS + 1)).doesNotContain("\n");
    });
    assertThat(lines.list.get(0).getFormattedMessage()).contains("…[");
    assertThat(lines.list.get(1).getFormattedMessage()).contains("evil\\u000AINFO forged");
  }

  @Test
  void unsafeIdsAndKeyMismatchesAreRefused() {
    send("../etc/passwd", bytes(request("../etc/passwd").build()));
    send("other", bytes(request("mine").build()));
    send(null, bytes(request("nokey").build()));
    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).extracting(r -> DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.ERROR_CODE))
        .containsExactly("INVALID_REQUEST_ID", "KEY_MISMATCH", "KEY_MISMATCH");
    assertThat(jobs.isEmpty()).isTrue();
    assertThat(results.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("../etc/passwd", "mine", "nokey");
  }

  @Test
  void aDuplicateMakesNoNewJobsAndAConflictIsDeadLetteredWithoutTouchingTheResult() {
    PromptRequest first = request("dup-1").build();
    send(first);
    assertThat(jobs.readKeyValuesToList()).hasSize(2);

    // Same body resubmitted later: a duplicate, silently absorbed.
    send(PromptRequest.newBuilder(first).setSubmittedAt(T0.plusSeconds(3600)).build());
    assertThat(jobs.isEmpty()).isTrue();
    assertThat(dlq.isEmpty()).isTrue();
    assertThat(results.isEmpty()).isTrue();
    assertThat(metric("requests-duplicate-total")).isEqualTo(1.0);

    // Same id, another body: a conflict.
    send(PromptRequest.newBuilder(first).setPrompt("a green square").build());
    assertThat(jobs.isEmpty()).isTrue();
    TestRecord<byte[], byte[]> dead = dlq.readRecord();
    assertDeadLetterHeaders(dead.headers(), RejectReason.CONFLICT, 2);
    assertThat(results.isEmpty()).isTrue();

    // A tombstone or an invalid body for an accepted id is dead-lettered but cannot overwrite its result.
    send("dup-1", null);
    assertThat(dlq.readRecord().headers().lastHeader(DeadLetterHeaders.ERROR_CODE).value()).isEqualTo(utf8("TOMBSTONE"));
    assertThat(results.isEmpty()).isTrue();
  }

  @Test
  void identitiesAreForgottenAfterTheRetention() {
    driver.close();
    open(Duration.ofMinutes(10));
    PromptRequest r = request("ret-1").build();
    send(r);
    assertThat(jobs.readKeyValuesToList()).hasSize(2);
    driver.advanceWallClockTime(Duration.ofMinutes(5));
    send(r);
    assertThat(jobs.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofMinutes(11));
    send(r);
    assertThat(jobs.readKeyValuesToList()).hasSize(2);
  }

  private void assertDeadLetterHeaders(Headers headers, RejectReason reason, long offset) {
    assertThat(DeadLetterHeaders.get(headers, DeadLetterHeaders.ERROR_CODE)).isEqualTo(reason.name());
    assertThat(DeadLetterHeaders.get(headers, DeadLetterHeaders.ERROR_MESSAGE)).isNotBlank();
    assertThat(DeadLetterHeaders.get(headers, DeadLetterHeaders.ERROR_STAGE)).isEqualTo("pe-rewrite");
    assertThat(DeadLetterHeaders.get(headers, DeadLetterHeaders.ERROR_ATTEMPTS)).isEqualTo("1");
    assertThat(DeadLetterHeaders.get(headers, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(topics.promptRequests.name());
    assertThat(DeadLetterHeaders.get(headers, DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
    assertThat(DeadLetterHeaders.get(headers, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo(Long.toString(offset));
  }

  private double metric(String name) {
    return driver.metrics().entrySet().stream()
        .filter(e -> e.getKey().group().equals("stream-" + PromptRewriteTopology.METRICS_SCOPE + "-metrics") || e.getKey().name().equals(name))
        .filter(e -> e.getKey().name().equals(name))
        .map(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .findFirst().orElseThrow(() -> new AssertionError("no metric " + name + " in " + names()));
  }

  private List<String> names() {
    return driver.metrics().keySet().stream().map(MetricName::name).sorted().toList();
  }

  private static Map<String, String> manyTags() {
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i < 33; i++) {
      m.put("t" + i, "v");
    }
    return m;
  }
}
