package io.inkflow.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.SchedulerChoice;
import io.inkflow.avro.Size;
import io.inkflow.testing.ExampleEvents;
import io.inkflow.testing.MemoryRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class FanOutEncoderTest {
  private static final String TOPIC = "fan-out-test.generation-jobs";
  private static final List<String> VARYING = List.of("variant", "jobId", "seed");
  /** One list for every job, as the planner shares a request's dropped texts (a copied default would not be shared). */
  private static final List<String> NONE_DROPPED = List.of();
  private static MemoryRegistry client;

  @BeforeAll
  static void start() throws Exception {
    client = new MemoryRegistry();
  }

  @AfterAll
  static void stop() {
    client.close();
  }

  @Test
  void everyPayloadIsWhatTheSerializerWrites() {
    AvroSerializer<GenerationJob> serializer = new AvroSerializer<>(GenerationJob.class, client, true);
    AvroDeserializer<GenerationJob> deserializer = new AvroDeserializer<>(GenerationJob.class, client);
    FanOutEncoder<GenerationJob> encoder = new FanOutEncoder<>(serializer, VARYING);
    Random random = new Random(7);
    int payloads = 0;
    for (int g = 0; g < 200; g++) {
      List<GenerationJob> group = group(random, 1 + random.nextInt(8));
      List<byte[]> encoded = encoder.encode(TOPIC, group);
      assertThat(encoded).hasSameSizeAs(group);
      for (int i = 0; i < group.size(); i++) {
        assertThat(encoded.get(i)).as("group %d, record %d", g, i).isEqualTo(serializer.serialize(TOPIC, group.get(i)));
        assertThat(deserializer.deserialize(TOPIC, encoded.get(i))).isEqualTo(group.get(i));
        payloads++;
      }
    }
    assertThat(payloads).isGreaterThan(500);
    // Both paths ran: most records spliced, those with a list of their own written in full.
    assertThat(encoder.writtenInFull()).isPositive().isLessThan(payloads / 2);
  }

  @Test
  void equalRequestsWhoseTagsIterateInAnotherOrderAreWrittenInFull() {
    AvroSerializer<GenerationJob> serializer = new AvroSerializer<>(GenerationJob.class, client, true);
    FanOutEncoder<GenerationJob> encoder = new FanOutEncoder<>(serializer, VARYING);
    Map<String, String> ab = new java.util.LinkedHashMap<>();
    ab.put("a", "1");
    ab.put("b", "2");
    Map<String, String> ba = new java.util.LinkedHashMap<>();
    ba.put("b", "2");
    ba.put("a", "1");
    GenerationJob first = GenerationJob.newBuilder(ExampleEvents.job())
        .setRequest(PromptRequest.newBuilder(ExampleEvents.request()).setTags(ab).build()).build();
    GenerationJob second = GenerationJob.newBuilder(first).setVariant(0).setJobId("TEA-003-0")
        .setRequest(PromptRequest.newBuilder(ExampleEvents.request()).setTags(ba).build()).build();
    assertThat(second.getRequest()).isEqualTo(first.getRequest());

    List<byte[]> encoded = encoder.encode(TOPIC, List.of(first, second));

    assertThat(encoded.get(1)).isEqualTo(serializer.serialize(TOPIC, second));
    assertThat(encoded.get(1)).isNotEqualTo(serializer.serialize(TOPIC, GenerationJob.newBuilder(second).setRequest(first.getRequest()).build()));
    assertThat(encoder.writtenInFull()).isEqualTo(1);
  }

  @Test
  void aFailedGroupLeavesNothingBehindForTheNext() {
    AvroSerializer<GenerationJob> serializer = new AvroSerializer<>(GenerationJob.class, client, true);
    FanOutEncoder<GenerationJob> encoder = new FanOutEncoder<>(serializer, VARYING);
    GenerationJob broken = ExampleEvents.job();
    broken.setRewrittenPrompt(null); // not nullable: fails after the request and earlier fields were written
    assertThatThrownBy(() -> encoder.encode(TOPIC, List.of(broken)))
        .isInstanceOf(org.apache.kafka.common.errors.SerializationException.class)
        .hasMessageContaining("GenerationJob");
    assertThatThrownBy(() -> encoder.encode(TOPIC, java.util.Arrays.asList(ExampleEvents.job(), null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("record 1");

    GenerationJob job = ExampleEvents.job();
    assertThat(encoder.encode(TOPIC, List.of(job)).get(0)).isEqualTo(serializer.serialize(TOPIC, job));
  }

  @Test
  void aRecordThatDoesNotShareIsWrittenInFull() {
    AvroSerializer<GenerationJob> serializer = new AvroSerializer<>(GenerationJob.class, client, true);
    FanOutEncoder<GenerationJob> encoder = new FanOutEncoder<>(serializer, VARYING);
    GenerationJob first = ExampleEvents.job();
    GenerationJob sameButVariant = GenerationJob.newBuilder(first).setVariant(0).setJobId("TEA-003-0").setSeed(42L).build();
    GenerationJob otherPrompt = GenerationJob.newBuilder(first).setVariant(2).setRewrittenPrompt("a different prompt").build();
    GenerationJob otherRequest = GenerationJob.newBuilder(first)
        .setRequest(PromptRequest.newBuilder(first.getRequest()).setPrompt("another request").build()).build();
    List<GenerationJob> group = List.of(first, sameButVariant, otherPrompt, otherRequest);

    List<byte[]> encoded = encoder.encode(TOPIC, group);

    for (int i = 0; i < group.size(); i++) {
      assertThat(encoded.get(i)).as("record %d", i).isEqualTo(serializer.serialize(TOPIC, group.get(i)));
    }
    assertThat(encoded.get(2)).isNotEqualTo(encoded.get(0));
    assertThat(encoder.encode(TOPIC, List.of())).isEmpty();
  }

  @Test
  void unknownVaryingFieldsAreRefused() {
    AvroSerializer<GenerationJob> serializer = new AvroSerializer<>(GenerationJob.class, client, true);
    assertThatThrownBy(() -> new FanOutEncoder<>(serializer, List.of("variant", "colour")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no field 'colour'")
        .hasMessageContaining("jobId");
  }

  /** Jobs of one request as a planner makes them: shared objects, with nullable and empty fields varied per group. */
  private static List<GenerationJob> group(Random random, int n) {
    PromptRequest.Builder request = PromptRequest.newBuilder(ExampleEvents.request())
        .setRequestId("req-" + random.nextInt(1_000_000))
        .setPrompt(random.nextBoolean() ? "青花瓷茶杯，白色背景 " + random.nextInt() : "a tea cup on white, studio light " + random.nextInt());
    if (random.nextBoolean()) {
      request.setNegativePrompt(null).setRenderText(null).setSeed(null).setWidth(null).setHeight(null);
    }
    Map<String, String> tags = new HashMap<>();
    for (int t = random.nextInt(4); t > 0; t--) {
      tags.put("k" + random.nextInt(100), "v" + random.nextInt(100));
    }
    PromptRequest shared = request.setTags(tags).build();
    List<String> glyphs = random.nextBoolean() ? List.of() : List.of("春", "SALE");
    List<String> dropped = random.nextInt(4) == 0 ? List.of("TOO LONG A TEXT") : List.of();
    Size size = new Size(512 + 64 * random.nextInt(4), 512);
    Size requested = random.nextBoolean() ? null : new Size(500, 510);
    // One map and one scheduler record per request, as the planner shares them.
    Map<String, String> notes = random.nextInt(3) == 0 ? Map.of("truncated", "prompt cut to 77 tokens") : Map.of();
    SchedulerChoice scheduler = random.nextBoolean() ? null
        : new SchedulerChoice("EulerDiscreteScheduler", "leading", random.nextBoolean() ? null : "PNDMScheduler");
    List<GenerationJob> jobs = new ArrayList<>();
    for (int variant = 0; variant < n; variant++) {
      jobs.add(GenerationJob.newBuilder(ExampleEvents.job())
          .setRequest(shared)
          .setVariant(variant)
          .setNumVariants(n)
          .setJobId(shared.getRequestId() + "-" + variant)
          .setNormalizedNegativePrompt(shared.getNegativePrompt())
          .setSanitizations(random.nextInt(4) == 0 ? List.of("STRIPPED_BIDI") : List.of())
          .setGlyphTexts(glyphs)
          .setDroppedGlyphTexts(dropped)
          .setRequestedSize(requested)
          .setSize(size)
          .setSeed(random.nextLong())
          .setPipelineNotes(notes)
          .setScheduler(scheduler)
          .build());
    }
    return jobs;
  }
}
