package io.inkflow.streams.scoring;

import static io.inkflow.streams.scoring.ScoringFixtures.T0;
import static io.inkflow.streams.scoring.ScoringFixtures.failed;
import static io.inkflow.streams.scoring.ScoringFixtures.generated;
import static io.inkflow.streams.scoring.ScoringFixtures.png;
import static io.inkflow.streams.scoring.ScoringFixtures.uri;
import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.BadCase;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.MemoryObjectStore;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.streams.results.BestOfN;
import io.inkflow.testing.MemoryRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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

class ScoringTopologyTest {
  private static final Duration FLUSH = Duration.ofMillis(100);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static MemoryRegistry client;
  private static Topics topics;

  @TempDir Path stateDir;
  private final MemoryObjectStore store = new MemoryObjectStore("bucket");
  private final ScoringFixtures.PromptScorer scorer = new ScoringFixtures.PromptScorer();
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> images;
  private TestInputTopic<String, BatchSubmitted> batches;
  private TestInputTopic<String, RequestResult> peResults;
  private TestOutputTopic<String, ScoredImage> scored;
  private TestOutputTopic<String, BadCase> badCases;
  private TestOutputTopic<String, RequestResult> results;
  private TestOutputTopic<String, PreferencePair> pairs;
  private TestOutputTopic<String, BatchResult> batchResults;
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

  ScoringSettings settings;
  Properties props;

  @BeforeEach
  void start() {
    settings = ScoringSettings.defaults().withBatchSize(4).withFlushInterval(FLUSH)
        .withRequestTimeout(TIMEOUT).withMaxPixels(32 * 32);
    props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scoring-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(ScoringTopology.build(topics, settings, store, scorer, RewardPolicyTest.POLICY), props, T0);
    images = driver.createInputTopic(topics.imagesGenerated.name(), new ByteArraySerializer(), new ByteArraySerializer(), T0, Duration.ofMillis(1));
    batches = driver.createInputTopic(topics.batches.name(), new StringSerializer(), topics.batches.valueSerde().serializer());
    peResults = driver.createInputTopic(topics.requestResults.name(), new StringSerializer(), topics.requestResults.valueSerde().serializer());
    scored = driver.createOutputTopic(topics.imagesScored.name(), new StringDeserializer(), topics.imagesScored.valueSerde().deserializer());
    badCases = driver.createOutputTopic(topics.badCases.name(), new StringDeserializer(), topics.badCases.valueSerde().deserializer());
    results = driver.createOutputTopic(topics.requestResults.name(), new StringDeserializer(), topics.requestResults.valueSerde().deserializer());
    pairs = driver.createOutputTopic(topics.preferencePairs.name(), new StringDeserializer(), topics.preferencePairs.valueSerde().deserializer());
    batchResults = driver.createOutputTopic(topics.batchResults.name(), new StringDeserializer(), topics.batchResults.valueSerde().deserializer());
    dlq = driver.createOutputTopic(topics.imagesGeneratedDlq.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private void send(GeneratedImage image) {
    images.pipeInput(utf8(image.getJob().getRequest().getRequestId()),
        topics.imagesGenerated.valueSerde().serializer().serialize(topics.imagesGenerated.name(), image));
  }

  /** Puts {@code bytes} in the store at {@code uri}. */
  private void stored(String uri, byte[] bytes) {
    store.objects.put(ObjectKeys.parse(uri).key(), bytes);
  }

  /** Stores a readable PNG for the image, then sends it. */
  private void sendWithPng(GeneratedImage image) {
    stored(image.getImageUri(), png(16, 16));
    send(image);
  }

  private void flush() {
    driver.advanceWallClockTime(FLUSH);
  }

  private double metric(String name) {
    return driver.metrics().entrySet().stream()
        .filter(e -> e.getKey().group().equals("stream-" + ScoringTopology.METRICS_SCOPE + "-metrics") && e.getKey().name().equals(name))
        .map(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .findFirst().orElseThrow(() -> new AssertionError("no metric " + name));
  }

  @Test
  void aJobIdThatArrivesTwiceIsScoredAndCountedOnce() {
    GeneratedImage image = generated("b1", "r1", 0, 1, 0.9);
    sendWithPng(image);
    send(image);
    flush();
    send(image);
    flush();
    assertThat(scored.readValuesToList()).hasSize(1);
    assertThat(results.readValuesToList()).hasSize(1);
    assertThat(scorer.calls).containsExactly(1);
    assertThat(store.reads).hasSize(1);
    assertThat(metric("images-duplicate-total")).isEqualTo(2.0);
  }

  @Test
  void verdictsRouteBadCasesAndEveryImageIsScored() {
    sendWithPng(generated("b1", "r1", 0, 2, 0.9));
    sendWithPng(generated("b1", "r1", 1, 2, 0.2));
    assertThat(scored.isEmpty()).isTrue(); // buffered until the flush
    flush();
    List<ScoredImage> out = scored.readValuesToList();
    assertThat(out).extracting(ScoredImage::getVerdict).containsExactlyInAnyOrder(Verdict.ACCEPTED, Verdict.BAD_CASE);
    ScoredImage bad = out.stream().filter(s -> s.getVerdict() == Verdict.BAD_CASE).findFirst().orElseThrow();
    assertThat(bad.getReasonCodes()).containsExactly(RewardPolicy.LOW_AESTHETIC, RewardPolicy.MISALIGNED, RewardPolicy.LOW_OVERALL);
    assertThat(bad.getRewardPackId()).isEqualTo("reward-test");
    assertThat(bad.getOverallScore()).isCloseTo(0.2, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(scorer.calls).containsExactly(2);

    BadCase badCase = badCases.readValue();
    assertThat(badCase.getScored().getImage().getJob().getJobId()).isEqualTo("r1-1");
    assertThat(badCase.getSiblingJobIds()).containsExactly("r1-0");
    assertThat(badCase.getThresholds()).containsEntry("overall", 0.45);
    assertThat(badCase.getLabels()).as("deprecated label slots stay empty").isEmpty();
    assertThat(badCases.isEmpty()).isTrue();

    RequestResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(RequestStatus.COMPLETED);
    assertThat(result.getBestVariant().getJobId()).isEqualTo("r1-0");
    assertThat(result.getVariants()).extracting(RankedVariant::getJobId).containsExactly("r1-0", "r1-1");
    assertThat(results.isEmpty()).isTrue();

    PreferencePair pair = pairs.readValue();
    assertThat(pair.getPairId()).isEqualTo("r1-0>r1-1");
    assertThat(pair.getMargin()).isCloseTo(0.7, org.assertj.core.api.Assertions.within(1e-9));
  }

  @Test
  void aPartialBufferIsScoredOnceItsOldestImageHasWaitedTheFlushInterval() {
    sendWithPng(generated("b1", "r1", 0, 2, 0.9));
    driver.advanceWallClockTime(FLUSH.dividedBy(2));
    sendWithPng(generated("b1", "r1", 1, 2, 0.9));
    assertThat(scored.isEmpty()).isTrue();
    driver.advanceWallClockTime(FLUSH.dividedBy(2));
    assertThat(scored.readValuesToList()).hasSize(2);
    assertThat(scorer.calls).containsExactly(2);
  }

  @Test
  void aFullBufferStartsLoadingAndIsScoredInOneCallWhenTheNextFills() {
    for (int i = 0; i < 4; i++) {
      sendWithPng(generated("b1", "r" + i, 0, 1, 0.8));
    }
    // the first batch is loading; it is scored when the second fills, while the second loads
    assertThat(scored.isEmpty()).isTrue();
    assertThat(scorer.calls).isEmpty();
    for (int i = 4; i < 8; i++) {
      sendWithPng(generated("b1", "r" + i, 0, 1, 0.8));
    }
    assertThat(scored.readValuesToList()).extracting(s -> s.getImage().getJob().getJobId())
        .containsExactly("r0-0", "r1-0", "r2-0", "r3-0");
    assertThat(scorer.calls).containsExactly(4);
    flush();
    assertThat(scored.readValuesToList()).hasSize(4);
    assertThat(scorer.calls).containsExactly(4, 4);
    assertThat(store.reads).hasSize(8).doesNotHaveDuplicates();
  }

  @Test
  void aLoadedBatchIsScoredAsSoonAsImagesStopArrivingWithoutWaitingTheWholeLinger() {
    for (int i = 0; i < 4; i++) {
      sendWithPng(generated("b1", "r" + i, 0, 1, 0.8));
    }
    assertThat(scored.isEmpty()).isTrue();
    driver.advanceWallClockTime(FLUSH.dividedBy(4));
    driver.advanceWallClockTime(FLUSH.dividedBy(4));
    assertThat(scored.readValuesToList()).hasSize(4);
    assertThat(scorer.calls).containsExactly(4);
  }

  @Test
  void withOneFetchThreadAFullBufferIsLoadedAndScoredAtOnce() {
    driver.close();
    driver = new TopologyTestDriver(ScoringTopology.build(topics, settings.withFetchThreads(1), store, scorer, RewardPolicyTest.POLICY),
        props, T0);
    images = driver.createInputTopic(topics.imagesGenerated.name(), new ByteArraySerializer(), new ByteArraySerializer(), T0, Duration.ofMillis(1));
    scored = driver.createOutputTopic(topics.imagesScored.name(), new StringDeserializer(), topics.imagesScored.valueSerde().deserializer());
    for (int i = 0; i < 4; i++) {
      sendWithPng(generated("b1", "r" + i, 0, 1, 0.8));
    }
    assertThat(scored.readValuesToList()).hasSize(4);
    assertThat(scorer.calls).containsExactly(4);
  }

  @Test
  void unreadableOversizedAndMissingImagesAreDeadLetteredAndCountAsFailed() {
    GeneratedImage notPng = generated("b1", "r1", 0, 3, 0.9);
    stored(notPng.getImageUri(), utf8("<html>not an image</html>"));
    send(notPng);
    GeneratedImage bomb = generated("b1", "r1", 1, 3, 0.9);
    stored(bomb.getImageUri(), png(64, 64)); // 4096 px over the 1024 px limit
    send(bomb);
    GeneratedImage missing = generated("b1", "r1", 2, 3, 0.9);
    send(missing);
    flush();

    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).extracting(r -> DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.ERROR_CODE))
        .containsExactlyInAnyOrder("NOT_PNG", "TOO_LARGE", ScoringProcessor.IMAGE_MISSING);
    assertThat(dead).allSatisfy(r -> {
      assertThat(DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.ERROR_STAGE)).isEqualTo(ScoringProcessor.STAGE);
      assertThat(DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(topics.imagesGenerated.name());
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("r1");
    });
    // the original bytes, unchanged
    assertThat(topics.imagesGenerated.valueSerde().deserializer().deserialize(topics.imagesGenerated.name(), dead.get(0).value())
        .getJob().getRequest().getRequestId()).isEqualTo("r1");

    assertThat(scored.readValuesToList()).extracting(ScoredImage::getVerdict).containsOnly(Verdict.FAILED).hasSize(3);
    assertThat(scorer.calls).isEmpty();
    RequestResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(RequestStatus.FAILED);
    assertThat(result.getReasonCode()).isEqualTo(BestOfN.ALL_VARIANTS_FAILED);
  }

  @Test
  void inAMixedMicroBatchLoadedInParallelEachImageKeepsItsOwnOutcome() {
    sendWithPng(generated("b1", "r1", 0, 4, 0.9));
    send(generated("b1", "r1", 1, 4, 0.9)); // no object: missing
    sendWithPng(generated("b1", "r1", 2, 4, 0.2));
    GeneratedImage notPng = generated("b1", "r1", 3, 4, 0.9);
    stored(notPng.getImageUri(), utf8("GIF89a"));
    send(notPng); // the fourth image fills the batch of 4: four loads at once
    flush();

    Map<String, ScoredImage> byJob = new java.util.HashMap<>();
    scored.readValuesToList().forEach(s -> byJob.put(s.getImage().getJob().getJobId(), s));
    assertThat(byJob).containsOnlyKeys("r1-0", "r1-1", "r1-2", "r1-3");
    assertThat(byJob.get("r1-0").getVerdict()).isEqualTo(Verdict.ACCEPTED);
    assertThat(byJob.get("r1-0").getOverallScore()).isCloseTo(0.9, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(byJob.get("r1-1").getReasonCodes()).containsExactly(ScoringProcessor.IMAGE_MISSING);
    assertThat(byJob.get("r1-2").getVerdict()).isEqualTo(Verdict.BAD_CASE);
    assertThat(byJob.get("r1-2").getOverallScore()).isCloseTo(0.2, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(byJob.get("r1-3").getReasonCodes()).containsExactly(ScoringProcessor.IMAGE_UNREADABLE, "NOT_PNG");
    assertThat(scorer.calls).containsExactly(2);
    assertThat(dlq.readRecordsToList()).extracting(r -> new String(r.key(), StandardCharsets.UTF_8) + ":"
        + DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.ERROR_CODE))
        .containsExactlyInAnyOrder("r1:" + ScoringProcessor.IMAGE_MISSING, "r1:NOT_PNG");
    assertThat(metric("bad-cases-total")).as("the bad-case sensor the dashboard's bad-case rate reads").isEqualTo(1.0);
  }

  @Test
  void anImageThePackCannotScoreIsIsolatedBySplittingAndFailsAlone() {
    sendWithPng(generated("b1", "r1", 0, 4, 0.9));
    sendWithPng(generated("b1", "r1", 1, 4, 0.8));
    GeneratedImage poison = generated("b1", "r1", 2, 4, 0.9);
    poison.getJob().setRewrittenPrompt(poison.getJob().getRewrittenPrompt() + " " + ScoringFixtures.POISON);
    sendWithPng(poison);
    sendWithPng(generated("b1", "r1", 3, 4, 0.7));
    flush();

    // 4 fails; [0,1] scores; [2,3] fails; [2] fails alone; [3] scores.
    assertThat(scorer.calls).containsExactly(4, 2, 2, 1, 1);
    Map<String, ScoredImage> byJob = new java.util.HashMap<>();
    scored.readValuesToList().forEach(s -> byJob.put(s.getImage().getJob().getJobId(), s));
    assertThat(byJob).containsOnlyKeys("r1-0", "r1-1", "r1-2", "r1-3");
    assertThat(byJob.get("r1-2").getVerdict()).isEqualTo(Verdict.FAILED);
    assertThat(byJob.get("r1-2").getReasonCodes()).containsExactly(ScoringProcessor.SCORING_FAILED);
    assertThat(byJob.get("r1-3").getOverallScore()).isCloseTo(0.7, org.assertj.core.api.Assertions.within(1e-9));
    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).hasSize(1);
    assertThat(DeadLetterHeaders.get(dead.get(0).headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo(ScoringProcessor.SCORING_FAILED);
    assertThat(DeadLetterHeaders.get(dead.get(0).headers(), DeadLetterHeaders.ERROR_MESSAGE)).contains("cannot score");
    assertThat(results.readValue().getStatus()).isEqualTo(RequestStatus.PARTIAL);
  }

  @Test
  void anUndeserializableRecordIsDeadLetteredWithItsBytes() {
    images.pipeInput(utf8("r9"), new byte[] {0, 0, 0, 0, 42, 1, 2});
    images.pipeInput(utf8("r9"), (byte[]) null);
    flush();
    List<TestRecord<byte[], byte[]>> dead = dlq.readRecordsToList();
    assertThat(dead).extracting(r -> DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.ERROR_CODE))
        .containsExactly("DESERIALIZATION_FAILED", "TOMBSTONE");
    assertThat(dead.get(0).value()).containsExactly(0, 0, 0, 0, 42, 1, 2);
    assertThat(scored.isEmpty()).isTrue();
    assertThat(results.isEmpty()).isTrue();
  }

  @Test
  void aFailedImagePassesThroughAsFailedWithoutAFetch() {
    send(failed("b1", "r1", 0, 2));
    sendWithPng(generated("b1", "r1", 1, 2, 0.8));
    flush();
    List<ScoredImage> out = scored.readValuesToList();
    assertThat(out.get(0).getVerdict()).isEqualTo(Verdict.FAILED);
    assertThat(out.get(0).getReasonCodes()).containsExactly(ScoringProcessor.GENERATION_FAILED, "MAX_ATTEMPTS");
    assertThat(out.get(0).getOverallScore()).isNull();
    assertThat(store.reads).containsExactly(uri("r1", 1));
    assertThat(dlq.isEmpty()).isTrue();
    RequestResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(RequestStatus.PARTIAL);
    assertThat(result.getReasonCode()).isEqualTo(BestOfN.VARIANTS_FAILED);
    assertThat(result.getVariants()).extracting(RankedVariant::getVerdict).containsExactly(Verdict.ACCEPTED, Verdict.FAILED);
    assertThat(pairs.isEmpty()).isTrue();
  }

  @Test
  void aRequestTimesOutAsPartialAndALateVariantNeverMakesASecondResult() {
    sendWithPng(generated("b1", "r1", 0, 3, 0.9));
    flush();
    assertThat(results.isEmpty()).isTrue();
    driver.advanceWallClockTime(TIMEOUT.minusSeconds(2));
    assertThat(results.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofSeconds(3));
    RequestResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(RequestStatus.PARTIAL);
    assertThat(result.getReasonCode()).isEqualTo(BestOfN.TIMED_OUT);
    assertThat(result.getVariants()).hasSize(1);
    assertThat(metric("request-timeouts-total")).isEqualTo(1.0);

    sendWithPng(generated("b1", "r1", 1, 3, 0.2));
    send(failed("b1", "r1", 2, 3));
    flush();
    driver.advanceWallClockTime(TIMEOUT.multipliedBy(2));
    assertThat(scored.readValuesToList()).hasSize(3); // every jobId still ends as one ScoredImage
    assertThat(results.isEmpty()).isTrue();
    assertThat(metric("late-variants-total")).isEqualTo(2.0);
    assertThat(badCases.readValue().getSiblingJobIds()).isEmpty(); // the late bad case is still recorded
  }

  @Test
  void aRequestWhoseVariantsNeverArriveTimesOutAsFailedWhenNoneScored() {
    send(failed("b1", "r1", 0, 2));
    driver.advanceWallClockTime(TIMEOUT.plusSeconds(1));
    RequestResult result = results.readValue();
    assertThat(result.getStatus()).isEqualTo(RequestStatus.FAILED);
    assertThat(result.getReasonCode()).isEqualTo(BestOfN.TIMED_OUT);
  }

  @Test
  void aBatchCompletesOnceAllItsRequestsAreTerminalRejectedOnesIncluded() {
    batches.pipeInput("b1", BatchSubmitted.newBuilder().setBatchId("b1").setExpectedCount(3).setSubmitter("test").setSubmittedAt(T0).build());
    sendWithPng(generated("b1", "ok", 0, 2, 0.9));
    sendWithPng(generated("b1", "ok", 1, 2, 0.3));
    send(failed("b1", "broken", 0, 1));
    flush();
    assertThat(batchResults.isEmpty()).isTrue();
    peResults.pipeInput("refused", RequestResult.newBuilder().setRequestId("refused").setBatchId("b1")
        .setStatus(RequestStatus.REJECTED).setReasonCode("BLOCKED_CONTENT").setNumVariants(0).setCompletedAt(T0).build());
    List<BatchResult> done = batchResults.readValuesToList();
    assertThat(done).singleElement().satisfies(b -> {
      assertThat(b.getExpectedCount()).isEqualTo(3);
      assertThat(b.getCompleted()).isEqualTo(1);
      assertThat(b.getFailed()).isEqualTo(1);
      assertThat(b.getRejected()).isEqualTo(1);
      assertThat(b.getPartial()).isZero();
      assertThat(b.getImagesGenerated()).isEqualTo(2);
      assertThat(b.getBadCases()).isEqualTo(1);
      assertThat(b.getManifestUri()).isEqualTo("s3://bucket/manifests/b1/manifest.jsonl");
    });
    String[] rows = store.text(ObjectKeys.manifest("b1")).split("\n");
    assertThat(rows).hasSize(3);
    assertThat(rows[0]).contains("\"requestId\":\"broken\"", "\"status\":\"FAILED\"");
    assertThat(rows[1]).contains("\"requestId\":\"ok\"", "\"status\":\"COMPLETED\"", "\"bestImageUri\":\"" + uri("ok", 0) + "\"");
    assertThat(rows[2]).contains("\"requestId\":\"refused\"", "\"status\":\"REJECTED\"", "\"reasonCode\":\"BLOCKED_CONTENT\"");

    // a re-delivered result and a late one change nothing
    peResults.pipeInput("refused", RequestResult.newBuilder().setRequestId("refused").setBatchId("b1")
        .setStatus(RequestStatus.REJECTED).setNumVariants(0).setCompletedAt(T0).build());
    assertThat(batchResults.isEmpty()).isTrue();
  }

  @Test
  void aBatchWhoseLastRequestsNeverArriveClosesAfterItsIdleTimeoutCountingThemMissing() {
    Duration idle = ScoringSettings.defaults().batchIdleTimeout();
    batches.pipeInput("b2", BatchSubmitted.newBuilder().setBatchId("b2").setExpectedCount(3).setSubmitter("test").setSubmittedAt(T0).build());
    peResults.pipeInput("refused", RequestResult.newBuilder().setRequestId("refused").setBatchId("b2")
        .setStatus(RequestStatus.REJECTED).setReasonCode("EMPTY_PROMPT").setNumVariants(0).setCompletedAt(T0).build());
    driver.advanceWallClockTime(idle.dividedBy(2));
    peResults.pipeInput("refused-too", RequestResult.newBuilder().setRequestId("refused-too").setBatchId("b2")
        .setStatus(RequestStatus.REJECTED).setReasonCode("EMPTY_PROMPT").setNumVariants(0).setCompletedAt(T0).build());
    // the idle clock restarts with each result: half a timeout later the batch is still open
    driver.advanceWallClockTime(idle.dividedBy(2).plusSeconds(1));
    assertThat(batchResults.isEmpty()).isTrue();

    driver.advanceWallClockTime(idle.dividedBy(2).plusMinutes(2));
    assertThat(batchResults.readValuesToList()).singleElement().satisfies(b -> {
      assertThat(b.getTimedOut()).isTrue();
      assertThat(b.getExpectedCount()).isEqualTo(3);
      assertThat(b.getRejected()).isEqualTo(2);
      assertThat(b.getMissing()).isEqualTo(1);
      assertThat(b.getManifestUri()).isEqualTo("s3://bucket/manifests/b2/manifest.jsonl");
    });
    assertThat(store.text(ObjectKeys.manifest("b2")).split("\n")).hasSize(2);

    // the missing request's result, arriving late, makes no second batch result
    peResults.pipeInput("late", RequestResult.newBuilder().setRequestId("late").setBatchId("b2")
        .setStatus(RequestStatus.REJECTED).setNumVariants(0).setCompletedAt(T0).build());
    driver.advanceWallClockTime(idle.plusMinutes(2));
    assertThat(batchResults.isEmpty()).isTrue();
  }

  @Test
  void resultsThatArriveBeforeTheBatchAnnouncementAreCounted() {
    send(failed("b2", "x", 0, 1));
    assertThat(batchResults.isEmpty()).isTrue();
    batches.pipeInput("b2", BatchSubmitted.newBuilder().setBatchId("b2").setExpectedCount(1).setSubmitter("test").setSubmittedAt(T0).build());
    assertThat(batchResults.readValue().getFailed()).isEqualTo(1);
    assertThat(store.objects).containsKey(ObjectKeys.manifest("b2"));
  }

  @Test
  void requestsOutsideABatchGetAResultButNoBatchResult() {
    GeneratedImage single = GeneratedImage.newBuilder(generated(null, "solo", 0, 1, 0.9)).build();
    single.getJob().getRequest().setBatchId(null);
    sendWithPng(single);
    flush();
    assertThat(results.readValue().getBatchId()).isNull();
    assertThat(batchResults.isEmpty()).isTrue();
    assertThat(store.list("manifests/")).isEmpty();
  }
}
