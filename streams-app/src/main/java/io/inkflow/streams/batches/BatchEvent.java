package io.inkflow.streams.batches;

import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.RequestResult;
import io.inkflow.schemas.Topics;
import java.util.Arrays;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the batch tracker hears about a batch: its announcement, or one of its requests' results.
 * Exactly one of the two is set.
 */
public record BatchEvent(BatchSubmitted submitted, RequestResult result) {
  private static final byte SUBMITTED = 'B';
  private static final byte RESULT = 'R';

  public static BatchEvent of(BatchSubmitted b) {
    return new BatchEvent(b, null);
  }

  public static BatchEvent of(RequestResult r) {
    return new BatchEvent(null, r);
  }

  /**
   * Serde for the repartition topic: a tag byte, then the event in the wire format of the topic it
   * came from (so its schema is registered under that topic's subject and no other).
   */
  public static Serde<BatchEvent> serde(Topics topics) {
    Serializer<BatchSubmitted> bs = topics.batches.valueSerde().serializer();
    Serializer<RequestResult> rs = topics.requestResults.valueSerde().serializer();
    Deserializer<BatchSubmitted> bd = topics.batches.valueSerde().deserializer();
    Deserializer<RequestResult> rd = topics.requestResults.valueSerde().deserializer();
    Serializer<BatchEvent> ser = (topic, e) -> {
      if (e == null) {
        return null;
      }
      byte[] inner = e.submitted() != null ? bs.serialize(topics.batches.name(), e.submitted())
          : rs.serialize(topics.requestResults.name(), e.result());
      byte[] out = new byte[inner.length + 1];
      out[0] = e.submitted() != null ? SUBMITTED : RESULT;
      System.arraycopy(inner, 0, out, 1, inner.length);
      return out;
    };
    Deserializer<BatchEvent> de = (topic, data) -> {
      if (data == null || data.length < 1) {
        return null;
      }
      byte[] inner = Arrays.copyOfRange(data, 1, data.length);
      return switch (data[0]) {
        case SUBMITTED -> of(bd.deserialize(topics.batches.name(), inner));
        case RESULT -> of(rd.deserialize(topics.requestResults.name(), inner));
        default -> throw new SerializationException("expected batch event tag B or R, found " + data[0]);
      };
    };
    return Serdes.serdeFrom(ser, de);
  }
}
