package io.inkflow.infra.local;

import io.inkflow.schemas.DeadLetterHeaders;
import io.inkflow.schemas.ExampleEvents;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.serde.AvroSerde;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Proves a running local stack works end to end: one record per catalogue topic produced and read
 * back through the topic's serdes (schema registry included), and one S3 object written and read.
 */
public final class SelfCheck {
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

  /** What the check did. */
  public record Result(int topicsChecked, List<String> failures, boolean s3Ok) {
    public boolean ok() {
      return failures.isEmpty() && s3Ok;
    }
  }

  private SelfCheck() {}

  public static Result run(LocalStack stack) {
    List<String> failures = new ArrayList<>();
    int checked = 0;
    ConnectionSettings conn = stack.connection();
    for (Topic<?, ?> topic : stack.topics().all()) {
      try {
        checkTopic(conn.bootstrapServers(), topic);
        checked++;
      } catch (Exception e) {
        failures.add(topic.name() + ": " + e.getMessage());
      }
    }
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
    return new Result(checked, failures, s3Ok);
  }

  @SuppressWarnings("unchecked")
  private static <K, V> void checkTopic(String bootstrap, Topic<K, V> topic) throws Exception {
    K key;
    V value;
    if (topic.isDeadLetter()) {
      key = (K) "self-check".getBytes(StandardCharsets.UTF_8);
      value = (V) new byte[] {0, 0, 0, 0, 1, 42};
    } else {
      key = (K) "self-check";
      value = (V) ExampleEvents.of(((AvroSerde<?>) topic.valueSerde()).type());
    }
    Serializer<K> ks = topic.keySerde().serializer();
    Serializer<V> vs = topic.valueSerde().serializer();
    RecordMetadata meta;
    try (KafkaProducer<K, V> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 15_000,
        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000), ks, vs)) {
      ProducerRecord<K, V> record = new ProducerRecord<>(topic.name(), 0, key, value);
      if (topic.isDeadLetter()) {
        DeadLetterHeaders.of("SELF_CHECK", "local stack self-check", "local-up", 1, topic.name(), 0, 0)
            .forEach(h -> record.headers().add(h));
      }
      meta = producer.send(record).get();
    }
    Deserializer<K> kd = topic.keySerde().deserializer();
    Deserializer<V> vd = topic.valueSerde().deserializer();
    TopicPartition tp = new TopicPartition(topic.name(), 0);
    try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), kd, vd)) {
      consumer.assign(List.of(tp));
      consumer.seek(tp, meta.offset());
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() == meta.offset()) {
            if (!sameValue(r.value(), value) || !sameValue(r.key(), key)) {
              throw new IllegalStateException("read back a different record at offset " + r.offset());
            }
            return;
          }
        }
      }
      throw new IllegalStateException("record at offset " + meta.offset() + " not read back within " + READ_TIMEOUT.toSeconds() + " s");
    }
  }

  private static boolean sameValue(Object a, Object b) {
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return Arrays.equals(x, y);
    }
    return Objects.equals(a, b);
  }
}
