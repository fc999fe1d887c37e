package io.inkflow.infra.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.serde.AvroSerde;
import io.inkflow.testing.MemoryRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

/** The self-check's values, without a stack: the broker round trip is LocalStackIT's. */
class SelfCheckTest {

  @Test
  @SuppressWarnings("unchecked")
  void everyEventTopicGetsAValueThatRoundTripsThroughItsSerde() {
    try (MemoryRegistry registry = new MemoryRegistry()) {
      int checked = 0;
      for (Topic<?, ?> topic : Topics.create(registry, "", 1, true).all()) {
        if (topic.isDeadLetter()) {
          continue;
        }
        Serde<SpecificRecord> serde = (Serde<SpecificRecord>) topic.valueSerde();
        SpecificRecord value = SelfCheck.sample(((AvroSerde<?>) topic.valueSerde()).type());
        byte[] bytes = serde.serializer().serialize(topic.name(), value);
        assertThat(serde.deserializer().deserialize(topic.name(), bytes)).as(topic.name()).isEqualTo(value);
        checked++;
      }
      assertThat(checked).isEqualTo(13);
    }
  }
}
