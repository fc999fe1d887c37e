package io.inkflow.infra.testing;

import io.inkflow.schemas.Topic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/** Reads committed records of a catalogue topic in integration tests, always with a deadline. */
public final class TopicReader {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private TopicReader() {}

  /**
   * Reads from the start until {@code last} matches a record or {@code atLeast} records arrived (60 s at
   * most), then drains what else is already committed, so that extra records would be seen.
   */
  public static <V> List<V> readUntil(String bootstrap, Topic<?, V> topic, int atLeast, Predicate<V> last) {
    List<V> out = new ArrayList<>();
    Map<String, Object> cfg = new HashMap<>();
    cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    cfg.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<?, V> consumer = new KafkaConsumer<>(cfg, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      boolean done = false;
      while (!done && System.nanoTime() < deadline) {
        for (ConsumerRecord<?, V> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
          done |= last.test(r.value());
        }
        done |= out.size() >= atLeast;
      }
      for (int empty = 0; empty < 3; ) {
        ConsumerRecords<?, V> batch = consumer.poll(Duration.ofMillis(300));
        if (batch.isEmpty()) {
          empty++;
        }
        batch.forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }

  /** Every committed record of {@code topic} up to its end offsets at the time of the call. */
  public static <V> List<V> readAll(String bootstrap, Topic<?, V> topic) {
    return readAll(bootstrap, topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer())
        .stream().map(ConsumerRecord::value).toList();
  }

  /**
   * Every record of {@code topic} up to its end offsets at the time of the call, those of aborted and
   * open transactions included ({@code read_uncommitted}): what a reader that does not ask for
   * committed records sees.
   */
  public static <V> List<V> readAllUncommitted(String bootstrap, Topic<?, V> topic) {
    return readAll(bootstrap, topic.name(), topic.keySerde().deserializer(), topic.valueSerde().deserializer(), "read_uncommitted")
        .stream().map(ConsumerRecord::value).toList();
  }

  /** Every committed record of {@code topic}, raw bytes and headers, up to its end offsets at the time of the call. */
  public static List<ConsumerRecord<byte[], byte[]>> readAllRaw(String bootstrap, String topic) {
    return readAll(bootstrap, topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  private static <K, V> List<ConsumerRecord<K, V>> readAll(String bootstrap, String topic, Deserializer<K> keys, Deserializer<V> values) {
    return readAll(bootstrap, topic, keys, values, "read_committed");
  }

  private static <K, V> List<ConsumerRecord<K, V>> readAll(String bootstrap, String topic, Deserializer<K> keys, Deserializer<V> values,
      String isolation) {
    Map<String, Object> cfg = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    try (KafkaConsumer<K, V> c = new KafkaConsumer<>(cfg, keys, values)) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<ConsumerRecord<K, V>> out = new ArrayList<>();
      long deadline = System.nanoTime() + DEADLINE.toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(topic + ": not read to its end offsets " + end + " within " + DEADLINE);
        }
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }
}
