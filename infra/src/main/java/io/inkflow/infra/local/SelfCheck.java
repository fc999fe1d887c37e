package io.inkflow.infra.local;

import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Proves a running local stack works end to end: one record per catalogue topic (every field set,
 * built from the topic's schema) produced and read back through the topic's serdes (schema registry
 * included), and one S3 object written and read.
 */
public final class SelfCheck {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

  /** What the check did. */
  public record Result(int topicsChecked, int topicsTotal, List<String> failures, boolean s3Ok) {
    public boolean ok() {
      return failures.isEmpty() && s3Ok && topicsChecked == topicsTotal;
    }
  }

  private SelfCheck() {}

  public static Result run(LocalStack stack) {
    List<String> failures = new ArrayList<>();
    ConnectionSettings conn = stack.connection();
    int checked = checkTopics(conn.bootstrapServers(), stack.topics().all(), failures);
    boolean s3Ok = false;
    try (S3Client s3 = conn.s3Client()) {
      String key = "self-check/" + UUID.randomUUID() + ".txt";
      byte[] body = "inkflow self-check 春".getBytes(StandardCharsets.UTF_8);
      s3.putObject(b -> b.bucket(conn.bucket()).key(key).contentType("text/plain; charset=utf-8"), RequestBody.fromBytes(body));
      byte[] read = s3.getObjectAsBytes(b -> b.bucket(conn.bucket()).key(key)).asByteArray();
      s3.deleteObject(b -> b.bucket(conn.bucket()).key(key));
      s3Ok = Arrays.equals(body, read);
      if (!s3Ok) {
        failures.add("s3: read back " + read.length + " bytes that differ from the " + body.length + " written");
      }
    } catch (RuntimeException e) {
      failures.add("s3: " + e);
    }
    return new Result(checked, stack.topics().all().size(), failures, s3Ok);
  }

  /** A record as written: which topic, the typed key and value, and where it landed. */
  private record Written(Topic<?, ?> topic, Object key, Object value, long offset) {}

  /**
   * Writes one record to partition 0 of every topic through the topic's serdes, then reads each back
   * and decodes it with the same serdes. Returns how many topics round-tripped.
   */
  private static int checkTopics(String bootstrap, List<Topic<?, ?>> topics, List<String> failures) {
    Map<TopicPartition, Written> written = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000), new ByteArraySerializer(), new ByteArraySerializer())) {
      Map<Topic<?, ?>, Future<RecordMetadata>> sends = new LinkedHashMap<>();
      Map<Topic<?, ?>, Object[]> sent = new HashMap<>();
      for (Topic<?, ?> topic : topics) {
        try {
          Object key = topic.isDeadLetter() ? "self-check".getBytes(StandardCharsets.UTF_8) : "self-check";
          Object value = topic.isDeadLetter() ? new byte[] {0, 0, 0, 0, 1, 42}
              : sample(((AvroSerde<?>) topic.valueSerde()).type());
          ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic.name(), 0,
              serialize(topic.keySerde().serializer(), topic.name(), key),
              serialize(topic.valueSerde().serializer(), topic.name(), value));
          if (topic.isDeadLetter()) {
            DeadLetterHeaders.of("SELF_CHECK", "local stack self-check", "local-up", 1, topic.name(), 0, 0)
                .forEach(h -> record.headers().add(h));
          }
          sends.put(topic, producer.send(record));
          sent.put(topic, new Object[] {key, value});
        } catch (RuntimeException e) {
          failures.add(topic.name() + ": produce failed: " + e.getMessage());
        }
      }
      for (Map.Entry<Topic<?, ?>, Future<RecordMetadata>> e : sends.entrySet()) {
        try {
          RecordMetadata meta = e.getValue().get(15, TimeUnit.SECONDS);
          Object[] kv = sent.get(e.getKey());
          written.put(new TopicPartition(meta.topic(), meta.partition()), new Written(e.getKey(), kv[0], kv[1], meta.offset()));
        } catch (Exception ex) {
          failures.add(e.getKey().name() + ": produce failed: " + ex);
        }
      }
    }
    int ok = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(written.keySet());
      written.forEach((tp, w) -> consumer.seek(tp, w.offset()));
      Map<TopicPartition, Written> pending = new HashMap<>(written);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (!pending.isEmpty() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          Written w = pending.get(tp);
          if (w == null || r.offset() != w.offset()) {
            continue;
          }
          pending.remove(tp);
          try {
            Object key = w.topic().keySerde().deserializer().deserialize(r.topic(), r.key());
            Object value = w.topic().valueSerde().deserializer().deserialize(r.topic(), r.value());
            if (sameValue(key, w.key()) && sameValue(value, w.value())) {
              ok++;
            } else {
              failures.add(r.topic() + ": read back a different record at offset " + r.offset());
            }
          } catch (RuntimeException e) {
            failures.add(r.topic() + ": cannot decode the record read back: " + e.getMessage());
          }
        }
      }
      pending.keySet().forEach(tp -> failures.add(tp.topic() + ": record not read back within " + READ_TIMEOUT.toSeconds() + " s"));
    }
    return ok;
  }

  /**
   * A value of {@code type} with every field set, optional ones included, built from its schema alone, so
   * that the check covers each event's whole schema without example data in the production jar.
   */
  static SpecificRecord sample(Class<? extends SpecificRecord> type) {
    SpecificData data = SpecificData.getForClass(type);
    return (SpecificRecord) sample(data, data.getSchema(type));
  }

  private static Object sample(SpecificData data, Schema schema) {
    LogicalType logical = schema.getLogicalType();
    if (logical != null && !(logical instanceof LogicalTypes.TimestampMillis)) {
      throw new IllegalArgumentException("no self-check value for logical type " + logical.getName() + " (" + schema + ")");
    }
    return switch (schema.getType()) {
      case RECORD -> {
        SpecificRecord record = (SpecificRecord) data.newRecord(null, schema);
        for (Schema.Field field : schema.getFields()) {
          record.put(field.pos(), sample(data, field.schema()));
        }
        yield record;
      }
      case UNION -> sample(data, schema.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst()
          .orElse(schema.getTypes().get(0)));
      case ENUM -> data.createEnum(schema.getEnumSymbols().get(0), schema);
      case ARRAY -> List.of(sample(data, schema.getElementType()));
      case MAP -> Map.of("self-check", sample(data, schema.getValueType()));
      case STRING -> "self-check 春";
      case BYTES -> ByteBuffer.wrap(new byte[] {1, 2, 3});
      case FIXED -> data.createFixed(null, new byte[schema.getFixedSize()], schema);
      case INT -> 1;
      case LONG -> logical == null ? 1L : Instant.ofEpochMilli(1_764_072_000_000L);
      case FLOAT -> 0.5f;
      case DOUBLE -> 0.5;
      case BOOLEAN -> true;
      case NULL -> null;
    };
  }

  @SuppressWarnings("unchecked")
  private static byte[] serialize(Serializer<?> serializer, String topic, Object value) {
    return ((Serializer<Object>) serializer).serialize(topic, value);
  }

  private static boolean sameValue(Object a, Object b) {
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return Arrays.equals(x, y);
    }
    return Objects.equals(a, b);
  }
}
