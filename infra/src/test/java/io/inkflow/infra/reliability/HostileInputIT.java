package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topics;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A corpus of hostile records mixed into a normal batch, through the real services as child JVMs:
 * every bad record ends as one dead letter with its bytes and a precise reason code (plus a REJECTED
 * result when its id is readable), every good request completes, and no process goes down.
 */
class HostileInputIT {
  private static final String BAD_BATCH = "hostile";

  /** One bad record: what is sent, the code its dead letter must carry, and whether a REJECTED result is due. */
  private record Case(String name, byte[] key, byte[] value, String topic, String code, String resultKey) {}

  @TempDir Path dir;

  private static PromptRequest.Builder valid(String id) {
    return PromptRequest.newBuilder().setRequestId(id).setBatchId(BAD_BATCH).setPrompt("a plain white mug")
        .setNumImages(1).setWidth(256).setHeight(256).setSteps(2).setSubmittedAt(Instant.parse("2026-11-25T00:00:00Z"));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Replaces the UTF-8 bytes of {@code marker} in an encoded record by {@code raw} (same length keeps the Avro length prefix right). */
  private static byte[] patch(byte[] encoded, String marker, byte[] raw) {
    byte[] m = utf8(marker);
    assertThat(raw).hasSameSizeAs(m);
    for (int i = 0; i + m.length <= encoded.length; i++) {
      if (Arrays.equals(encoded, i, i + m.length, m, 0, m.length)) {
        byte[] out = encoded.clone();
        System.arraycopy(raw, 0, out, i, raw.length);
        return out;
      }
    }
    throw new AssertionError("marker " + marker + " not in the encoded record");
  }

  private static List<Case> corpus(Topics topics, List<PromptRequest> good) {
    String in = topics.promptRequests.name();
    var ser = topics.promptRequests.valueSerde().serializer();
    List<Case> cases = new ArrayList<>();
    // A readable request refused by validation: its dead letter and a REJECTED result keyed by its id.
    record Bad(String name, String code, UnaryOperator<PromptRequest.Builder> edit) {}
    List<Bad> requests = List.of(
        new Bad("prompt-2001", "PROMPT_TOO_LONG", b -> b.setPrompt("a".repeat(2001))),
        new Bad("prompt-100k", "PROMPT_TOO_LONG", b -> b.setPrompt("mug ".repeat(25_000))),
        new Bad("negative-5000", "PROMPT_TOO_LONG", b -> b.setNegativePrompt("blurry ".repeat(700))),
        new Bad("bell-char", "INVALID_CHARACTERS", b -> b.setPrompt("a mug\u0007 ringing")),
        new Bad("nul-char", "INVALID_CHARACTERS", b -> b.setPrompt("a mug\u0000")),
        new Bad("bidi-override", "INVALID_CHARACTERS", b -> b.setPrompt("a mug \u202Egnp.exe")),
        new Bad("bidi-isolate", "INVALID_CHARACTERS", b -> b.setPrompt("\u2067a mug\u2069")),
        new Bad("zero-width", "INVALID_CHARACTERS", b -> b.setPrompt("a m\u200Bug")),
        new Bad("render-control", "INVALID_CHARACTERS", b -> b.setRenderText(List.of("SALE\u001b[31m"))),
        new Bad("whitespace-only", "EMPTY_PROMPT", b -> b.setPrompt(" \t\n ")),
        new Bad("width-100000", "SIZE_OUT_OF_RANGE", b -> b.setWidth(100_000)),
        new Bad("width-negative", "SIZE_OUT_OF_RANGE", b -> b.setWidth(-256)),
        new Bad("width-max-int", "SIZE_OUT_OF_RANGE", b -> b.setWidth(Integer.MAX_VALUE).setHeight(Integer.MAX_VALUE)),
        new Bad("width-only", "SIZE_OUT_OF_RANGE", b -> b.setHeight(null)),
        new Bad("aspect-32", "ASPECT_OUT_OF_RANGE", b -> b.setWidth(2048).setHeight(64)),
        new Bad("aspect-junk", "ASPECT_OUT_OF_RANGE", b -> b.setWidth(null).setHeight(null).setAspect("16:9; DROP TABLE")),
        new Bad("aspect-zero", "ASPECT_OUT_OF_RANGE", b -> b.setWidth(null).setHeight(null).setAspect("0:1")),
        new Bad("num-images-0", "NUM_IMAGES_OUT_OF_RANGE", b -> b.setNumImages(0)),
        new Bad("num-images-max-int", "NUM_IMAGES_OUT_OF_RANGE", b -> b.setNumImages(Integer.MAX_VALUE)),
        new Bad("num-images-negative", "NUM_IMAGES_OUT_OF_RANGE", b -> b.setNumImages(-3)),
        new Bad("steps-100000", "STEPS_OUT_OF_RANGE", b -> b.setSteps(100_000)),
        new Bad("guidance-nan", "GUIDANCE_OUT_OF_RANGE", b -> b.setGuidanceScale(Float.NaN)),
        new Bad("guidance-infinite", "GUIDANCE_OUT_OF_RANGE", b -> b.setGuidanceScale(Float.POSITIVE_INFINITY)),
        new Bad("guidance-negative", "GUIDANCE_OUT_OF_RANGE", b -> b.setGuidanceScale(-1f)),
        new Bad("tags-100", "TOO_MANY_TAGS", b -> b.setTags(IntStream.range(0, 100).boxed()
            .collect(Collectors.toMap(i -> "t" + i, i -> "v")))),
        new Bad("render-texts-10", "RENDER_TEXT_INVALID", b -> b.setRenderText(IntStream.range(0, 10).mapToObj(i -> "T" + i).toList())),
        new Bad("batch-traversal", "INVALID_BATCH_ID", b -> b.setBatchId("../../manifests")));
    for (Bad bad : requests) {
      String id = "hostile." + bad.name();
      PromptRequest r = bad.edit().apply(valid(id)).build();
      cases.add(new Case(bad.name(), utf8(id), ser.serialize(in, r), in, bad.code(), id));
    }
    // Ids that would escape their S3 prefix: refused, and answered under the id as given.
    for (String id : List.of("../../etc/passwd", "a/b/../../c", ".hidden", "..", "%2e%2e%2fx", "..\\..\\win", "x".repeat(200),
        "id with spaces", "ü-umlaut")) {
      cases.add(new Case("id " + id, utf8(id), ser.serialize(in, valid(id).build()), in, "INVALID_REQUEST_ID", id));
    }
    // The key is not the request's id: answered under the id the body names.
    cases.add(new Case("key-mismatch", utf8("hostile.some-key"), ser.serialize(in, valid("hostile.other-id").build()), in,
        "KEY_MISMATCH", "hostile.other-id"));
    cases.add(new Case("key-not-utf8", new byte[] {(byte) 0xC3, 0x28}, ser.serialize(in, valid("hostile.bad-key").build()), in,
        "KEY_MISMATCH", "hostile.bad-key"));
    // A lone surrogate cannot be encoded as UTF-8; a client that writes one anyway sends CESU-style bytes.
    byte[] surrogate = patch(ser.serialize(in, valid("hostile.lone-surrogate").setPrompt("a mug XYZ").build()), "XYZ",
        new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});
    cases.add(new Case("lone-surrogate", utf8("hostile.lone-surrogate"), surrogate, in, "INVALID_UTF8", "hostile.lone-surrogate"));
    byte[] overlong = patch(ser.serialize(in, valid("hostile.overlong").setPrompt("a mug XY").build()), "XY", new byte[] {(byte) 0xC0, (byte) 0xAF});
    cases.add(new Case("overlong-utf8", utf8("hostile.overlong"), overlong, in, "INVALID_UTF8", "hostile.overlong"));
    // Unreadable values: dead letters; a REJECTED result under the key when the key is readable.
    byte[] whole = ser.serialize(in, valid("hostile.truncated").build());
    cases.add(new Case("truncated", utf8("hostile.truncated"), Arrays.copyOf(whole, whole.length / 2), in, "DESERIALIZATION_FAILED",
        "hostile.truncated"));
    byte[] trailing = Arrays.copyOf(whole, whole.length + 3);
    cases.add(new Case("trailing-bytes", utf8("hostile.trailing"), trailing, in, "DESERIALIZATION_FAILED", "hostile.trailing"));
    byte[] wrongSchema = topics.batches.valueSerde().serializer().serialize(topics.batches.name(),
        BatchSubmitted.newBuilder().setBatchId("b").setExpectedCount(1).setSubmitter("x").setSubmittedAt(Instant.now()).build());
    cases.add(new Case("wrong-schema", utf8("hostile.wrong-schema"), wrongSchema, in, "DESERIALIZATION_FAILED", "hostile.wrong-schema"));
    byte[] unknownId = ByteBuffer.allocate(9).put((byte) 0).putInt(987_654).putInt(42).array();
    cases.add(new Case("unknown-schema-id", utf8("hostile.unknown-id"), unknownId, in, "DESERIALIZATION_FAILED", "hostile.unknown-id"));
    cases.add(new Case("not-avro", utf8("hostile.json"), utf8("{\"requestId\":\"x\",\"prompt\":\"mug\"}"), in, "DESERIALIZATION_FAILED",
        "hostile.json"));
    cases.add(new Case("empty-value", utf8("hostile.empty"), new byte[0], in, "DESERIALIZATION_FAILED", "hostile.empty"));
    cases.add(new Case("no-key-junk", null, utf8("junk"), in, "DESERIALIZATION_FAILED", null));
    cases.add(new Case("tombstone", utf8("hostile.tombstone"), null, in, "TOMBSTONE", "hostile.tombstone"));
    // The id of a good request again with another body: a conflict; the good request's result stands.
    PromptRequest first = good.get(0);
    cases.add(new Case("conflict", utf8(first.getRequestId()),
        ser.serialize(in, PromptRequest.newBuilder(first).setPrompt("a different body").build()), in, "CONFLICT", null));
    // Hostile records on the worker's and the scorer's inputs.
    cases.add(new Case("job-not-avro", utf8("hostile.job"), utf8("junk"), topics.generationJobs.name(), "DESERIALIZATION_FAILED", null));
    cases.add(new Case("job-tombstone", utf8("hostile.job-tombstone"), null, topics.generationJobs.name(), "DESERIALIZATION_FAILED", null));
    cases.add(new Case("job-wrong-schema", utf8("hostile.job-schema"), wrongSchema, topics.generationJobs.name(), "DESERIALIZATION_FAILED",
        null));
    cases.add(new Case("image-not-avro", utf8("hostile.image"), utf8("junk"), topics.imagesGenerated.name(), "DESERIALIZATION_FAILED",
        null));
    cases.add(new Case("image-tombstone", utf8("hostile.image-tombstone"), null, topics.imagesGenerated.name(), "TOMBSTONE", null));
    return cases;
  }

  @Test
  void everyBadRecordEndsAsOnePreciseDeadLetterAndEveryGoodRequestCompletes() throws Exception {
    try (Pipeline p = Pipeline.start(dir, "hostile-it.")) {
      // Refuse (rather than strip) invisible characters, so that each one is a dead letter with a reason.
      p.start(Pipeline.PE, PromptRewriteApp.class, Map.of("INKFLOW_STATE_DIR", dir.resolve("state-pe").toString(),
          "INKFLOW_PE_INVISIBLE_CHARS", "refuse"), Pipeline.HEAP);
      p.startWorker(Pipeline.WORKER, Map.of());
      p.startScoring();
      Topics topics = p.topics();
      String batch = "hostile-good";
      List<PromptRequest> good = Pipeline.requests(batch, 6, 2);
      List<Case> cases = corpus(topics, good);
      assertThat(cases.stream().filter(c -> c.topic().equals(topics.promptRequests.name()))).hasSizeGreaterThanOrEqualTo(30);

      // Good and bad interleaved after the batch's expected count; one good request is sent twice (a duplicate).
      List<PromptRequest> goodSent = new ArrayList<>(good.subList(0, 3));
      goodSent.add(good.get(1));
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, p.bootstrap(), ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 << 20),
          new ByteArraySerializer(), new ByteArraySerializer())) {
        BatchSubmitted submitted = BatchSubmitted.newBuilder().setBatchId(batch).setExpectedCount(good.size()).setSubmitter("it")
            .setSubmittedAt(Instant.now()).build();
        producer.send(new ProducerRecord<>(topics.batches.name(), utf8(batch),
            topics.batches.valueSerde().serializer().serialize(topics.batches.name(), submitted))).get();
        for (PromptRequest r : goodSent) {
          producer.send(new ProducerRecord<>(topics.promptRequests.name(), utf8(r.getRequestId()),
              topics.promptRequests.valueSerde().serializer().serialize(topics.promptRequests.name(), r))).get();
        }
        for (Case c : cases) {
          producer.send(new ProducerRecord<>(c.topic(), c.key(), c.value())).get();
        }
        for (PromptRequest r : good.subList(3, 6)) {
          producer.send(new ProducerRecord<>(topics.promptRequests.name(), utf8(r.getRequestId()),
              topics.promptRequests.valueSerde().serializer().serialize(topics.promptRequests.name(), r))).get();
        }
      }

      p.awaitBatch(batch, Duration.ofMinutes(4));
      Pipeline.Outcome outcome = p.assertNothingLostOrRepeated(batch, good);
      assertThat(outcome.results()).allSatisfy(r -> assertThat(r.getStatus()).as(r.getRequestId()).isEqualTo(RequestStatus.COMPLETED));
      assertThat(outcome.batch().getCompleted()).isEqualTo(good.size());

      // Each bad record: exactly one dead letter with its bytes and the expected code.
      Map<String, List<ConsumerRecord<byte[], byte[]>>> dead = new HashMap<>();
      for (String dlq : List.of(topics.promptRequestsDlq.name(), topics.generationJobsDlq.name(), topics.imagesGeneratedDlq.name())) {
        dead.put(dlq, TopicReader.readAllRaw(p.bootstrap(), dlq));
      }
      // The worker dead-letters unreadable jobs on its output threads: wait for those to land too.
      p.awaitRecords(topics.generationJobsDlq, 3, v -> true, Duration.ofSeconds(60));
      dead.put(topics.generationJobsDlq.name(), TopicReader.readAllRaw(p.bootstrap(), topics.generationJobsDlq.name()));
      int expectedDead = 0;
      for (Case c : cases) {
        String dlq = c.topic() + ".dlq";
        List<ConsumerRecord<byte[], byte[]>> letters = dead.get(dlq).stream()
            .filter(r -> Arrays.equals(r.key(), c.key()) && Arrays.equals(r.value(), c.value())).toList();
        assertThat(letters).as("dead letters of " + c.name()).hasSize(1);
        assertThat(DeadLetterHeaders.get(letters.get(0).headers(), DeadLetterHeaders.ERROR_CODE)).as("code of " + c.name()).isEqualTo(c.code());
        assertThat(DeadLetterHeaders.get(letters.get(0).headers(), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo(c.topic());
        expectedDead++;
      }
      int dlqTotal = dead.values().stream().mapToInt(List::size).sum();
      assertThat(dlqTotal).as("dead letters in all, none for a good request").isEqualTo(expectedDead);

      // A REJECTED result, once, for every bad request whose id could be read; none for the others.
      Map<String, List<RequestResult>> results = TopicReader.readAll(p.bootstrap(), topics.requestResults).stream()
          .collect(Collectors.groupingBy(RequestResult::getRequestId));
      for (Case c : cases) {
        if (c.resultKey() != null) {
          assertThat(results.get(c.resultKey())).as("results of " + c.name()).singleElement().satisfies(r -> {
            assertThat(r.getStatus()).isEqualTo(RequestStatus.REJECTED);
            assertThat(r.getReasonCode()).isEqualTo(c.code());
          });
        }
      }
      long rejected = results.values().stream().flatMap(List::stream).filter(r -> r.getStatus() == RequestStatus.REJECTED).count();
      assertThat(rejected).as("REJECTED results in all").isEqualTo(cases.stream().filter(c -> c.resultKey() != null).count());
      // The conflicting body made no jobs: every job of the good request carries its first body.
      // (Read raw: the topic also holds the hostile records this test wrote to it.)
      List<GenerationJob> jobs = TopicReader.readAllRaw(p.bootstrap(), topics.generationJobs.name()).stream()
          .filter(r -> !new String(r.key(), StandardCharsets.UTF_8).startsWith("hostile.job"))
          .map(r -> topics.generationJobs.valueSerde().deserializer().deserialize(r.topic(), r.value())).toList();
      assertThat(jobs).filteredOn(j -> j.getRequest().getRequestId().equals(good.get(0).getRequestId()))
          .hasSize(2).allSatisfy(j -> assertThat(j.getRequest().getPrompt()).isEqualTo(good.get(0).getPrompt()));
      assertThat(jobs).as("jobs of bad requests").noneMatch(j -> j.getRequest().getRequestId().startsWith("hostile."));
      p.assertAllAlive();
    }
  }
}
