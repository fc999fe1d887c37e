package io.inkflow.schemas.serde;

import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.schemas.registry.SchemaRegistryClient;
import io.inkflow.schemas.registry.SchemaRegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes specific Avro records in the Confluent wire format, registering (or looking up) the writer
 * schema under {@code <topic>-value} once per topic. Null values pass through as null (tombstones).
 * A string that is not valid UTF-16 (an unpaired surrogate) is refused with an
 * {@link InvalidTextException} naming the field, never written as '?'.
 */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
  private final Schema schema;
  private final StrictDatumWriter<T> writer;
  private SchemaRegistryClient registry;
  private boolean ownsRegistry;
  private boolean autoRegister = true;
  private boolean isKey;
  private final Map<String, Integer> idByTopic = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryEncoder> encoders = new ThreadLocal<>();

  /** For Kafka's reflective construction: call {@link #configure} before use. */
  public AvroSerializer(Class<T> type) {
    this.schema = AvroDeserializer.schemaOf(type);
    this.writer = new StrictDatumWriter<>(schema);
  }

  public AvroSerializer(Class<T> type, SchemaRegistryClient registry, boolean autoRegister) {
    this(type);
    this.registry = Objects.requireNonNull(registry, "registry");
    this.autoRegister = autoRegister;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    if (registry == null) {
      AvroSerdeConfig cfg = AvroSerdeConfig.fromMap(configs);
      this.registry = new RestSchemaRegistryClient(cfg.registry());
      this.ownsRegistry = true;
      this.autoRegister = cfg.autoRegister();
    }
  }

  /** The schema this serializer writes. */
  public Schema schema() {
    return schema;
  }

  /**
   * The registry id this serializer writes for {@code topic}: registered (or looked up) under
   * {@code <topic>-value} or {@code -key} on first use, then cached.
   *
   * @throws SerializationException when the registry refuses or cannot be reached
   */
  public int schemaId(String topic) {
    if (registry == null) {
      throw new IllegalStateException("AvroSerializer for " + schema.getFullName() + " used before configure()");
    }
    return idByTopic.computeIfAbsent(topic, this::registerOrLookUp);
  }

  @Override
  public byte[] serialize(String topic, T data) {
    if (data == null) {
      return null;
    }
    int id = schemaId(topic);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      byte[] header = new byte[WireFormat.HEADER_SIZE];
      WireFormat.writeHeader(header, id);
      out.write(header);
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, encoders.get());
      encoders.set(encoder);
      writer.write(data, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (InvalidTextException e) {
      throw e.context("cannot write " + schema.getFullName() + " for topic " + topic + ": ");
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot write " + schema.getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
    }
  }

  /**
   * Checks that {@code data} can be written, without a registry: what {@link #serialize} would refuse
   * for its content (not for the registry) is refused here with the same exception.
   */
  public void checkWritable(T data) {
    try {
      BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(OutputStream.nullOutputStream(), encoders.get());
      encoders.set(encoder);
      writer.write(data, encoder);
      encoder.flush();
    } catch (InvalidTextException e) {
      throw e.context("cannot write " + schema.getFullName() + ": ");
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot write " + schema.getFullName() + ": " + e.getMessage(), e);
    }
  }

  private int registerOrLookUp(String topic) {
    String subject = WireFormat.subject(topic, isKey);
    try {
      return autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema);
    } catch (SchemaRegistryException e) {
      throw new SerializationException(String.format("cannot %s schema %s under subject %s: %s",
          autoRegister ? "register" : "find", schema.getFullName(), subject, e.getMessage()), e);
    }
  }

  @Override
  public void close() {
    if (ownsRegistry) {
      registry.close();
    }
  }
}
