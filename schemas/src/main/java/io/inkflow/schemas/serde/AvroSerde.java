package io.inkflow.schemas.serde;

import io.inkflow.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A Confluent-wire-format Avro serde for one generated record class. */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
  private final Class<T> type;
  private final AvroSerializer<T> serializer;
  private final AvroDeserializer<T> deserializer;

  /** For Kafka's reflective construction: call {@link #configure} before use. */
  public AvroSerde(Class<T> type) {
    this.type = type;
    this.serializer = new AvroSerializer<>(type);
    this.deserializer = new AvroDeserializer<>(type);
  }

  /** A serde on a shared registry client (the client is not closed by this serde). */
  public AvroSerde(Class<T> type, SchemaRegistryClient registry, boolean autoRegister) {
    this.type = type;
    this.serializer = new AvroSerializer<>(type, registry, autoRegister);
    this.deserializer = new AvroDeserializer<>(type, registry);
  }

  /** The record class this serde reads and writes. */
  public Class<T> type() {
    return type;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    serializer.configure(configs, isKey);
    deserializer.configure(configs, isKey);
  }

  @Override
  public Serializer<T> serializer() {
    return serializer;
  }

  @Override
  public Deserializer<T> deserializer() {
    return deserializer;
  }

  @Override
  public void close() {
    serializer.close();
    deserializer.close();
  }
}
