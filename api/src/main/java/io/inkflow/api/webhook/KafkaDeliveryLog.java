package io.inkflow.api.webhook;

import io.inkflow.api.AckedWriter;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.schemas.Topics;
import java.util.Map;

/** Records webhook attempts on {@code webhook-deliveries}, waiting for the broker's acknowledgement. */
public final class KafkaDeliveryLog implements WebhookDispatcher.DeliveryLog, AutoCloseable {
  private final AckedWriter writer;
  private final Topics topics;

  public KafkaDeliveryLog(Map<String, Object> client, Topics topics) {
    this.writer = new AckedWriter(client);
    this.topics = topics;
  }

  @Override
  public void record(String key, WebhookDelivery delivery) throws Exception {
    writer.write(topics.webhookDeliveries, key, delivery);
  }

  @Override
  public void close() {
    writer.close();
  }
}
