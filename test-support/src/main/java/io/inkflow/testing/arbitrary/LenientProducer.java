package io.inkflow.testing.arbitrary;

import io.inkflow.schemas.Topic;
import io.inkflow.schemas.serde.AvroSerializer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Writes records as a producer without the project's text checks would: plain Avro, where an unpaired
 * UTF-16 surrogate becomes '?' ({@link ArbitraryText#afterUtf8}). Properties that start downstream of
 * the serializer use it to put arbitrary strings on a topic; the stage under test reads them back.
 */
public final class LenientProducer {
  private LenientProducer() {}

  /** {@code value} in the Confluent wire format, under the schema id the project's serializer uses for {@code topic}. */
  public static <V extends SpecificRecord> byte[] bytes(Topic<?, V> topic, V value) {
    int id = ((AvroSerializer<V>) topic.valueSerde().serializer()).schemaId(topic.name());
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.write(0);
      out.write(ByteBuffer.allocate(4).putInt(id).array());
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
      new SpecificDatumWriter<V>(value.getSchema()).write(value, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
