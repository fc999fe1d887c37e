package io.inkflow.api.console;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
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
 * Produces the console's judgements to {@code human-preferences} and {@code human-verdicts}, keyed by
 * request id, idempotent with {@code acks=all}; each send waits for its acknowledgement (up to 30 s).
 */
public final class KafkaLabelSink implements LabelSink, AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final Topics topics;

  public KafkaLabelSink(Map<String, Object> client, Topics topics) {
    Map<String, Object> cfg = new HashMap<>(client);
    cfg.put(ProducerConfig.ACKS_CONFIG, "all");
    cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    this.producer = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer());
    this.topics = topics;
  }

  @Override
  public void send(HumanPreference judgement) {
    send(topics.humanPreferences, judgement.getRequestId(), judgement);
  }

  @Override
  public void send(HumanVerdict review) {
    send(topics.humanVerdicts, review.getRequestId(), review);
  }

  private <V> void send(Topic<String, V> topic, String key, V value) {
    try {
      producer.send(new ProducerRecord<>(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value)))
          .get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing to " + topic.name(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("writing to " + topic.name() + " failed: " + e, e);
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
