package io.inkflow.api.submit;

import io.inkflow.avro.PromptRequest;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes each submission in one Kafka transaction: {@code BatchSubmitted}, every {@code PromptRequest},
 * the webhook subscription and the Idempotency-Key record commit together or not at all, so an upload is
 * never half-submitted and the stages (which read committed records only) never see a batch without its
 * expected count. One transactional producer, used by one submission at a time.
 */
public final class KafkaSubmissionSink implements SubmissionSink, AutoCloseable {
  private final KafkaProducer<String, byte[]> producer;
  private final Topics topics;

  /**
   * @param client Kafka client settings (bootstrap, TLS, SASL)
   * @param transactionalId unique per API instance: a restarted instance with the same id fences its predecessor
   */
  public KafkaSubmissionSink(Map<String, Object> client, String transactionalId, Topics topics) {
    Map<String, Object> cfg = new HashMap<>(client);
    cfg.put(ProducerConfig.ACKS_CONFIG, "all");
    cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    cfg.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    cfg.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    this.producer = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer());
    this.topics = topics;
    producer.initTransactions();
  }

  @Override
  public synchronized void write(Submission s) {
    producer.beginTransaction();
    try {
      if (s.batch() != null) {
        send(topics.batches, s.batch().getBatchId(), s.batch());
      }
      for (PromptRequest r : s.requests()) {
        send(topics.promptRequests, r.getRequestId(), r);
      }
      if (s.webhook() != null) {
        send(topics.webhookDeliveries, s.webhookKey(), s.webhook());
      }
      if (s.idempotency() != null) {
        send(topics.apiSubmissions, s.idempotencyKey(), s.idempotency());
      }
      producer.commitTransaction();
    } catch (ProducerFencedException e) {
      // Another instance took this transactional id: nothing of this transaction commits, and this producer is done.
      throw e;
    } catch (RuntimeException e) {
      // A send or serialization failure (registry down, broker unreachable): none of the submission is committed.
      producer.abortTransaction();
      throw e;
    }
  }

  private <V> void send(Topic<String, V> topic, String key, V value) {
    producer.send(new ProducerRecord<>(topic.name(), key, topic.valueSerde().serializer().serialize(topic.name(), value)));
  }

  @Override
  public void close() {
    producer.close();
  }
}
