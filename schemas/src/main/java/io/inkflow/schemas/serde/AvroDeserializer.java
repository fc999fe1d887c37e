package io.inkflow.schemas.serde;

import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.schemas.registry.SchemaRegistryClient;
import io.inkflow.schemas.registry.SchemaRegistryException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-wire-format Avro into a specific record class, resolving the writer's schema
 * (fetched once per id) against the class's schema, so older and newer compatible writers both read.
 *
 * <p>Anything that is not a complete, well-formed record of a compatible schema raises a
 * {@link SerializationException} whose message says what was expected and what was found: a short
 * or empty payload, a wrong magic byte, an unknown schema id, a schema that cannot be read as the
 * target type, a truncated or corrupt body, trailing bytes; a string that is not well-formed UTF-8
 * raises the subclass {@link InvalidTextException}, naming the field. A stream stage routes those to its
 * dead-letter topic. A registry outage instead raises
 * {@link io.inkflow.schemas.registry.SchemaRegistryUnavailableException} (retriable, not bad data).
 * A null payload (a tombstone) deserializes to null.
 */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
  private final Class<T> type;
  private final Schema readerSchema;
  private SchemaRegistryClient registry;
  private boolean ownsRegistry;
  private final Map<Integer, Object> readers = new ConcurrentHashMap<>();
  private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

  /** For Kafka's reflective construction: call {@link #configure} before use. */
  public AvroDeserializer(Class<T> type) {
    this.type = Objects.requireNonNull(type, "type");
    this.readerSchema = schemaOf(type);
  }

  public AvroDeserializer(Class<T> type, SchemaRegistryClient registry) {
    this(type);
    this.registry = Objects.requireNonNull(registry, "registry");
  }

  static Schema schemaOf(Class<?> type) {
    Schema s = SpecificData.get().getSchema(type);
    if (s == null || s.getType() != Schema.Type.RECORD) {
      throw new IllegalArgumentException(type.getName() + " is not a generated Avro record class");
    }
    return s;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    if (registry == null) {
      this.registry = new RestSchemaRegistryClient(AvroSerdeConfig.fromMap(configs).registry());
      this.ownsRegistry = true;
    }
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (registry == null) {
      throw new IllegalStateException("AvroDeserializer for " + type.getName() + " used before configure()");
    }
    String what = type.getSimpleName() + " on topic " + topic;
    if (data.length < WireFormat.HEADER_SIZE) {
      throw new SerializationException(String.format(
          "cannot read %s: expected at least %d bytes (magic byte + schema id), found %d", what, WireFormat.HEADER_SIZE, data.length));
    }
    if (data[0] != WireFormat.MAGIC_BYTE) {
      throw new SerializationException(String.format(
          "cannot read %s: unknown magic byte 0x%02x, expected 0x00 (Confluent wire format)", what, data[0] & 0xff));
    }
    int id = WireFormat.schemaId(data);
    SpecificDatumReader<T> reader = reader(id, what);
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, decoders.get());
    decoders.set(decoder);
    T value;
    try {
      value = reader.read(null, new BoundedDecoder(decoder, data.length - WireFormat.HEADER_SIZE));
    } catch (InvalidTextException e) {
      BinaryDecoder again = DecoderFactory.get().binaryDecoder(data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
      throw StrictDatumReader.locate(reader.getSchema(), readerSchema, type, new BoundedDecoder(again, data.length - WireFormat.HEADER_SIZE), e)
          .context("cannot read " + what + " (schema id " + id + "): ");
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | NegativeArraySizeException
        | ClassCastException | IllegalArgumentException | UnsupportedOperationException e) {
      throw new SerializationException(String.format(
          "cannot read %s: body of %d bytes is truncated or corrupt for schema id %d: %s",
          what, data.length - WireFormat.HEADER_SIZE, id, e), e);
    }
    try {
      if (!decoder.isEnd()) {
        throw new SerializationException(String.format(
            "cannot read %s: %d trailing bytes after a complete record of schema id %d",
            what, decoder.inputStream().available(), id));
      }
    } catch (IOException e) {
      throw new SerializationException("cannot read " + what + ": " + e, e);
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  private SpecificDatumReader<T> reader(int id, String what) {
    Object cached = readers.get(id);
    if (cached == null) {
      cached = resolve(id, what);
      readers.putIfAbsent(id, cached);
    }
    if (cached instanceof SerializationException e) {
      throw new SerializationException(e.getMessage(), e);
    }
    return (SpecificDatumReader<T>) cached;
  }

  /** A reader for writer schema {@code id}, or the error explaining why there can be none. */
  private Object resolve(int id, String what) {
    Schema writer;
    try {
      writer = registry.getById(id);
    } catch (SchemaRegistryException.NotFoundException e) {
      // Not cached: the id may be registered later (e.g. a registry restored from backup).
      throw new SerializationException(String.format(
          "cannot read %s: schema id %d is unknown to the registry at %s", what, id, registry.describe()), e);
    } catch (SchemaRegistryException e) {
      throw new SerializationException(String.format("cannot read %s: registry lookup of schema id %d failed: %s", what, id, e.getMessage()), e);
    }
    SchemaCompatibility.SchemaPairCompatibility compat = SchemaCompatibility.checkReaderWriterCompatibility(readerSchema, writer);
    if (compat.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      List<String> why = new ArrayList<>();
      compat.getResult().getIncompatibilities().forEach(i -> why.add(i.getType() + " at " + i.getLocation()));
      return new SerializationException(String.format(
          "cannot read %s: schema id %d is %s, which cannot be read as %s: %s",
          what, id, writer.getFullName(), readerSchema.getFullName(), String.join(", ", why)));
    }
    return new SpecificDatumReader<T>(writer, readerSchema);
  }

  @Override
  public void close() {
    if (ownsRegistry) {
      registry.close();
    }
  }
}
