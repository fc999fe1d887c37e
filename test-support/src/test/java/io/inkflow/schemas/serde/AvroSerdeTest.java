package io.inkflow.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import io.inkflow.avro.Priority;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RewriteMode;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.testing.ExampleEvents;
import io.inkflow.testing.MemoryRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
  private static MemoryRegistry client;
  private static Topics topics;

  @BeforeAll
  static void start() throws Exception {
    client = new MemoryRegistry();
    topics = Topics.create(client, "serde-test.", 1, true);
  }

  @AfterAll
  static void stop() {
    client.close();
  }

  @Test
  void everyEventRoundTripsThroughTheRegistryOnItsTopic() {
    List<SpecificRecord> samples = ExampleEvents.all();
    int roundTrips = 0;
    for (Topic<?, ?> topic : topics.all()) {
      if (topic.isDeadLetter()) {
        continue;
      }
      SpecificRecord sample = ExampleEvents.of(((AvroSerde<?>) topic.valueSerde()).type());
      byte[] bytes = serialize(topic, sample);
      assertThat(bytes[0]).isZero();
      int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
      assertThat(client.getById(id).getFullName()).isEqualTo(sample.getSchema().getFullName());
      assertThat(deserialize(topic, bytes)).isEqualTo(sample);
      roundTrips++;
    }
    assertThat(roundTrips).isEqualTo(samples.size());
    assertThat(samples.stream().map(s -> s.getClass()).collect(Collectors.toSet())).hasSize(13);
  }

  @Test
  void nestedEventsCarryWhatTheyReceived() {
    assertThat(ExampleEvents.scored().getImage().getJob().getRequest().getPrompt()).isEqualTo(ExampleEvents.request().getPrompt());
    assertThat(ExampleEvents.badCase().getScored().getImage().getJob().getJobId()).isEqualTo("TEA-003-1");
  }

  @Test
  void tombstonesAreNull() {
    assertThat(topics.promptRequests.valueSerde().deserializer().deserialize(topics.promptRequests.name(), null)).isNull();
    assertThat(topics.promptRequests.valueSerde().serializer().serialize(topics.promptRequests.name(), null)).isNull();
  }

  @Test
  void aNewerReaderWithDefaultedFieldsReadsOlderBytes() throws Exception {
    // v1 of PromptRequest: before priority, tags and rewriteMode existed.
    Schema current = PromptRequest.getClassSchema();
    List<Schema.Field> v1Fields = current.getFields().stream()
        .filter(f -> !List.of("priority", "tags", "rewriteMode").contains(f.name()))
        .map(f -> new Schema.Field(f, f.schema()))
        .toList();
    Schema v1 = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, v1Fields);
    String topic = "evolution-test";
    int v1Id = client.register(topic + "-value", v1);

    GenericRecord old = new GenericData.Record(v1);
    old.put("requestId", "old-1");
    old.put("prompt", "a red circle");
    old.put("language", new GenericData.EnumSymbol(v1.getField("language").schema(), "EN"));
    old.put("numImages", 2);
    old.put("submittedAt", 1_700_000_000_000L);
    byte[] bytes = wire(v1Id, v1, old);

    AvroDeserializer<PromptRequest> reader = new AvroDeserializer<>(PromptRequest.class, client);
    PromptRequest read = reader.deserialize(topic, bytes);
    assertThat(read.getRequestId()).isEqualTo("old-1");
    assertThat(read.getNumImages()).isEqualTo(2);
    assertThat(read.getPriority()).isEqualTo(Priority.NORMAL);
    assertThat(read.getRewriteMode()).isEqualTo(RewriteMode.AUTO);
    assertThat(read.getTags()).isEmpty();
  }

  @Test
  void corruptPayloadsRaiseClearSerializationExceptions() throws Exception {
    String topic = topics.promptRequests.name();
    var deser = topics.promptRequests.valueSerde().deserializer();
    byte[] good = topics.promptRequests.valueSerde().serializer().serialize(topic, ExampleEvents.request());

    assertThatThrownBy(() -> deser.deserialize(topic, new byte[0]))
        .isInstanceOf(SerializationException.class).hasMessageContaining("expected at least 5 bytes").hasMessageContaining("found 0");
    assertThatThrownBy(() -> deser.deserialize(topic, new byte[] {0, 0, 1}))
        .isInstanceOf(SerializationException.class).hasMessageContaining("found 3");

    byte[] wrongMagic = good.clone();
    wrongMagic[0] = 7;
    assertThatThrownBy(() -> deser.deserialize(topic, wrongMagic))
        .isInstanceOf(SerializationException.class).hasMessageContaining("unknown magic byte 0x07");

    byte[] unknownId = good.clone();
    ByteBuffer.wrap(unknownId).putInt(1, 987_654);
    assertThatThrownBy(() -> deser.deserialize(topic, unknownId))
        .isInstanceOf(SerializationException.class).hasMessageContaining("schema id 987654 is unknown");

    byte[] truncated = Arrays.copyOf(good, good.length - 7);
    assertThatThrownBy(() -> deser.deserialize(topic, truncated))
        .isInstanceOf(SerializationException.class).hasMessageContaining("truncated or corrupt");

    byte[] trailing = Arrays.copyOf(good, good.length + 3);
    assertThatThrownBy(() -> deser.deserialize(topic, trailing))
        .isInstanceOf(SerializationException.class).hasMessageContaining("3 trailing bytes");

    byte[] otherSchema = topics.batches.valueSerde().serializer().serialize(topics.batches.name(), ExampleEvents.batch());
    assertThatThrownBy(() -> deser.deserialize(topic, otherSchema))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("io.inkflow.avro.BatchSubmitted, which cannot be read as io.inkflow.avro.PromptRequest");

    byte[] notAvro = "{\"requestId\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThatThrownBy(() -> deser.deserialize(topic, notAvro))
        .isInstanceOf(SerializationException.class).hasMessageContaining("magic byte");
  }

  @Test
  void aHugeDeclaredLengthFailsWithoutAllocatingIt() throws Exception {
    String topic = topics.promptRequests.name();
    byte[] good = topics.promptRequests.valueSerde().serializer().serialize(topic, ExampleEvents.request());
    // requestId is the first field: replace its length with a zig-zag varint claiming ~1 GiB.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(good, 0, 5);
    BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
    enc.writeLong(1L << 30);
    enc.flush();
    out.write(new byte[] {'a', 'b', 'c'});
    var deser = topics.promptRequests.valueSerde().deserializer();
    assertThatThrownBy(() -> deser.deserialize(topic, out.toByteArray()))
        .isInstanceOf(SerializationException.class).hasMessageContaining("truncated or corrupt");
  }

  @Test
  void randomlyCorruptedPayloadsNeverEscapeAsAnythingButSerializationException() {
    String topic = topics.generationJobs.name();
    Serde<io.inkflow.avro.GenerationJob> serde = topics.generationJobs.valueSerde();
    byte[] good = serde.serializer().serialize(topic, ExampleEvents.job());
    Random random = new Random(7);
    int decoded = 0;
    int refused = 0;
    for (int i = 0; i < 3000; i++) {
      byte[] bad = good.clone();
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        // Keep the header so the body, not the id lookup, is what gets exercised.
        bad[5 + random.nextInt(bad.length - 5)] = (byte) random.nextInt(256);
      }
      if (random.nextInt(4) == 0) {
        bad = Arrays.copyOf(bad, 5 + random.nextInt(bad.length - 5));
      }
      try {
        serde.deserializer().deserialize(topic, bad);
        decoded++;
      } catch (SerializationException e) {
        refused++;
      }
    }
    assertThat(decoded + refused).isEqualTo(3000);
    assertThat(refused).isGreaterThan(1000);
  }

  @SuppressWarnings("unchecked")
  @Test
  void anUnpairedSurrogateIsRefusedNamingTheFieldNotWrittenAsAQuestionMark() {
    var serializer = topics.promptRequests.valueSerde().serializer();
    for (String bad : List.of("a cat \uD83D", "\uDC31 a cat", "a \uDC31\uD83D cat")) {
      PromptRequest request = PromptRequest.newBuilder(ExampleEvents.request()).setPrompt(bad).build();
      assertThatThrownBy(() -> serializer.serialize(topics.promptRequests.name(), request))
          .as(bad)
          .isInstanceOf(InvalidTextException.class)
          .hasMessageContaining("field prompt")
          .hasMessageContaining("unpaired UTF-16 surrogate")
          .hasMessageContaining("at char " + StrictText.firstUnpairedSurrogate(bad));
    }
    // Nested records and maps name their path; the registry-free check refuses the same.
    PromptRequest taggedBadly = PromptRequest.newBuilder(ExampleEvents.request()).setTags(java.util.Map.of("sku", "x\uD800")).build();
    var job = io.inkflow.avro.GenerationJob.newBuilder(ExampleEvents.job()).setRequest(taggedBadly).build();
    assertThatThrownBy(() -> topics.generationJobs.valueSerde().serializer().serialize(topics.generationJobs.name(), job))
        .isInstanceOf(InvalidTextException.class).hasMessageContaining("field request.tags");
    assertThatThrownBy(() -> new AvroSerializer<>(PromptRequest.class).checkWritable(taggedBadly))
        .isInstanceOf(InvalidTextException.class).hasMessageContaining("field tags");
    // Valid surrogate pairs (emoji, supplementary CJK) travel unchanged.
    PromptRequest fine = PromptRequest.newBuilder(ExampleEvents.request()).setPrompt("a cat \uD83D\uDC31 𠀀 春").build();
    assertThat(deserialize(topics.promptRequests, serialize(topics.promptRequests, fine))).isEqualTo(fine);
  }

  @Test
  void invalidUtf8IsRefusedNamingTheFieldNotReadAsReplacementCharacters() {
    PromptRequest request = PromptRequest.newBuilder(ExampleEvents.request()).setPrompt("a cat XYZ").build();
    byte[] good = serialize(topics.promptRequests, request);
    // Same-length byte sequences that no UTF-8 encoder writes: a bad continuation, an overlong '/',
    // an encoded surrogate, a code point above U+10FFFF, a truncated sequence.
    for (byte[] bad : List.of(new byte[] {(byte) 0xc3, '(', 'Z'}, new byte[] {(byte) 0xc0, (byte) 0xaf, 'Z'},
        new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0xbd}, new byte[] {'X', 'Y', (byte) 0xf5},
        new byte[] {'X', 'Y', (byte) 0xe6})) {
      byte[] corrupt = good.clone();
      int at = indexOf(corrupt, "XYZ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      System.arraycopy(bad, 0, corrupt, at, 3);
      assertThatThrownBy(() -> deserialize(topics.promptRequests, corrupt))
          .as(Arrays.toString(bad))
          .isInstanceOf(InvalidTextException.class)
          .hasMessageContaining("field prompt")
          .hasMessageContaining("not well-formed UTF-8");
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  private static byte[] serialize(Topic<?, ?> topic, Object value) {
    return ((Serde<Object>) topic.valueSerde()).serializer().serialize(topic.name(), value);
  }

  private static Object deserialize(Topic<?, ?> topic, byte[] bytes) {
    return topic.valueSerde().deserializer().deserialize(topic.name(), bytes);
  }

  private static byte[] wire(int id, Schema schema, GenericRecord record) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, enc);
    enc.flush();
    return out.toByteArray();
  }
}
