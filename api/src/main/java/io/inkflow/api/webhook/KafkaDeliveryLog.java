package io.inkflow.api.webhook;

import io.inkflow.avro.WebhookDelivery;
import io.inkflow.schemas.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Records webhook attempts on {@code webhook-deliveries}, waiting for the broker's acknowledgement. */
public final class KafkaDeliveryLog implements WebhookDispatcher.DeliveryLog, AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final Topics topics;

  public KafkaDeliveryLog(Map<String, Object> client, Topics topics) {
    Map<String, Object> cfg = new HashMap<>(client);
    cfg.put(ProducerConfig.ACKS_CONFIG, "all");
    cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    this.producer = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer());
    this.topics = topics;
  }

  @Override
  public void record(String key, WebhookDelivery delivery) throws Exception {
    String topic = topics.webhookDeliveries.name();
    producer.send(new ProducerRecord<>(topic, key, topics.webhookDeliveries.valueSerde().serializer().serialize(topic, delivery)))
        .get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    producer.close();
  }
}
