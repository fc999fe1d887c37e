package io.inkflow.api.console;

import io.inkflow.api.AckedWriter;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Produces the console's judgements to {@code human-preferences} and {@code human-verdicts}, keyed by
 * request id, idempotent with {@code acks=all}; each send waits for its acknowledgement (up to 30 s).
 */
public final class KafkaLabelSink implements LabelSink, AutoCloseable {
  private final AckedWriter writer;
  private final Topics topics;

  public KafkaLabelSink(Map<String, Object> client, Topics topics) {
    this.writer = new AckedWriter(client);
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
      writer.write(topic, key, value);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing to " + topic.name(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("writing to " + topic.name() + " failed: " + e, e);
    }
  }

  @Override
  public void close() {
    writer.close();
  }
}
