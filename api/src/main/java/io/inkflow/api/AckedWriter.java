package io.inkflow.api;

import io.inkflow.schemas.Topic;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The API's non-transactional writes (people's judgements, webhook attempts): one idempotent producer with
 * {@code acks=all}, each write waiting for the broker's acknowledgement (up to 30 s), so a caller only
 * answers once the record is durable.
 */
public final class AckedWriter implements AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;

  public AckedWriter(Map<String, Object> client) {
    Map<String, Object> cfg = new HashMap<>(client);
    cfg.put(ProducerConfig.ACKS_CONFIG, "all");
    cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    this.producer = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer());
  }

  /** Writes {@code value} under {@code key} and waits for its acknowledgement. */
  public <V> void write(Topic<String, V> topic, String key, V value)
      throws InterruptedException, ExecutionException, TimeoutException {
    producer.send(new ProducerRecord<>(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value)))
        .get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    producer.close();
  }
}
