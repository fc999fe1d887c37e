package io.inkflow.api.view;

import io.inkflow.avro.ApiSubmission;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.common.LogText;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an {@link ApiView} from the topics it mirrors: {@code batches}, {@code request-results},
 * {@code batch-results}, {@code webhook-deliveries} and {@code api-submissions}, and for the console
 * {@code images-scored}, {@code human-preferences} and {@code human-verdicts}, every partition assigned
 * (no group), read from the beginning with {@code read_committed}. Ready once it has reached the end
 * offsets it saw at start; until then the API answers 503 on reads and does not deliver webhooks, so a
 * delivery already recorded is never repeated because its record had not been read yet. An unreadable
 * record is logged with its topic, partition and offset and skipped: it never stops the view.
 */
public final class TopicViewLoader implements Runnable, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TopicViewLoader.class);

  private final Consumer<byte[], byte[]> consumer;
  private final Topics topics;
  private final ApiView view;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final Map<TopicPartition, Long> startEnds = new HashMap<>();
  private volatile boolean caughtUp;
  private volatile Thread thread;
  private volatile String failure;

  public TopicViewLoader(Consumer<byte[], byte[]> consumer, Topics topics, ApiView view) {
    this.consumer = consumer;
    this.topics = topics;
    this.view = view;
  }

  /** The topics the view mirrors. */
  public static List<Topic<String, ?>> mirrored(Topics topics) {
    return List.of(topics.batches, topics.requestResults, topics.batchResults, topics.webhookDeliveries, topics.apiSubmissions,
        topics.imagesScored, topics.humanPreferences, topics.humanVerdicts);
  }

  /** Starts reading on a daemon thread named {@code api-view}. */
  public TopicViewLoader start() {
    Thread t = new Thread(this, "api-view");
    t.setDaemon(true);
    thread = t;
    t.start();
    return this;
  }

  /** True once the view holds everything that was on the topics at start. */
  public boolean caughtUp() {
    return caughtUp;
  }

  /** Why the view is not ready, if it is not. */
  public Optional<String> notReady() {
    if (failure != null) {
      return Optional.of("the topic view stopped: " + failure);
    }
    return caughtUp ? Optional.empty() : Optional.of("the topic view is still reading the topics");
  }

  @Override
  public void run() {
    try {
      List<TopicPartition> parts = new ArrayList<>();
      for (Topic<String, ?> t : mirrored(topics)) {
        consumer.partitionsFor(t.name()).forEach(p -> parts.add(new TopicPartition(t.name(), p.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      startEnds.putAll(consumer.endOffsets(parts));
      checkCaughtUp();
      while (!stop.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          apply(r);
        }
        if (!caughtUp) {
          checkCaughtUp();
        }
      }
    } catch (WakeupException e) {
      if (!stop.get()) {
        failure = e.toString();
        throw e;
      }
    } catch (RuntimeException e) {
      failure = e.toString();
      LOG.error("the topic view stopped", e);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  private void checkCaughtUp() {
    for (Map.Entry<TopicPartition, Long> e : startEnds.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return;
      }
    }
    caughtUp = true;
    LOG.info("topic view caught up ({} partitions)", startEnds.size());
  }

  /** Applies one record; public so tests can feed a view without a broker. */
  public void apply(ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null || r.key() == null) {
      return;
    }
    String topic = r.topic();
    try {
      String key = topics.webhookDeliveries.keySerde().deserializer().deserialize(topic, r.key());
      if (topic.equals(topics.batches.name())) {
        view.apply((BatchSubmitted) value(topics.batches, r));
      } else if (topic.equals(topics.requestResults.name())) {
        view.apply((RequestResult) value(topics.requestResults, r));
      } else if (topic.equals(topics.batchResults.name())) {
        view.apply((BatchResult) value(topics.batchResults, r));
      } else if (topic.equals(topics.webhookDeliveries.name())) {
        view.apply(key, (WebhookDelivery) value(topics.webhookDeliveries, r));
      } else if (topic.equals(topics.apiSubmissions.name())) {
        view.apply(key, (ApiSubmission) value(topics.apiSubmissions, r));
      } else if (topic.equals(topics.imagesScored.name())) {
        view.apply((ScoredImage) value(topics.imagesScored, r));
      } else if (topic.equals(topics.humanPreferences.name())) {
        view.apply((HumanPreference) value(topics.humanPreferences, r));
      } else if (topic.equals(topics.humanVerdicts.name())) {
        view.apply((HumanVerdict) value(topics.humanVerdicts, r));
      }
    } catch (SerializationException e) {
      LOG.warn("skipping unreadable record {}-{}@{}: {}", topic, r.partition(), r.offset(), LogText.of(e.getMessage()));
    }
  }

  private static Object value(Topic<String, ?> topic, ConsumerRecord<byte[], byte[]> r) {
    return topic.valueSerde().deserializer().deserialize(r.topic(), r.value());
  }

  @Override
  public void close() {
    stop.set(true);
    consumer.wakeup();
    Thread t = thread;
    if (t != null) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
