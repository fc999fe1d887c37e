package io.inkflow.infra.submit;

import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.PromptRequest;
import io.inkflow.schemas.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes a batch: its {@code BatchSubmitted} (acknowledged first), then its requests. */
public final class BatchSubmitter {
  private BatchSubmitter() {}

  public static void submit(String bootstrap, Topics topics, String batchId, String submitter, String source,
      List<PromptRequest> requests) throws Exception {
    submit(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topics, batchId, submitter, source, requests);
  }

  /** As {@link #submit(String, Topics, String, String, String, List)}, with the client settings given (bootstrap, TLS, SASL). */
  public static void submit(Map<String, Object> client, Topics topics, String batchId, String submitter, String source,
      List<PromptRequest> requests) throws Exception {
    Map<String, Object> cfg = new HashMap<>(client);
    cfg.put(ProducerConfig.ACKS_CONFIG, "all");
    cfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    cfg.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer())) {
      BatchSubmitted submitted = BatchSubmitted.newBuilder().setBatchId(batchId).setExpectedCount(requests.size())
          .setSubmitter(submitter).setSource(source).setSubmittedAt(Instant.now()).build();
      // The expected count is durable before any request exists, so completion can never be judged early.
      producer.send(new ProducerRecord<>(topics.batches.name(), batchId,
          topics.batches.valueSerde().serializer().serialize(topics.batches.name(), submitted))).get(60, TimeUnit.SECONDS);
      List<Future<?>> sends = new ArrayList<>();
      for (PromptRequest r : requests) {
        sends.add(producer.send(new ProducerRecord<>(topics.promptRequests.name(), r.getRequestId(),
            topics.promptRequests.valueSerde().serializer().serialize(topics.promptRequests.name(), r))));
      }
      for (Future<?> f : sends) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
  }
}
