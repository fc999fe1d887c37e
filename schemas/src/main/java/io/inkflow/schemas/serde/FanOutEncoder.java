package io.inkflow.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Writes the records of a fan-out (records of one type that differ only in a few named fields, such
 * as the jobs of one request) in the Confluent wire format, encoding the fields they share once per
 * group instead of once per record.
 *
 * <p>An Avro record's binary form is its fields' encodings one after another, so a run of shared
 * fields encodes to the same bytes in every record of the group. Each payload is therefore byte for
 * byte what {@link AvroSerializer} writes for that record. A record whose supposedly shared fields
 * differ from the group's first record is written in full, so every group is encoded correctly; it
 * is only faster when the records really share.
 *
 * <p>Not thread-safe: one per stream task or thread.
 *
 * @param <T> the generated record type
 */
public final class FanOutEncoder<T extends SpecificRecordBase> {
  private final AvroSerializer<T> serializer;
  private final List<Schema.Field> fields;
  private final boolean[] varying;
  private final FieldWriter writer;
  private final ByteArrayOutputStream runBuffer = new ByteArrayOutputStream(1024);
  private BinaryEncoder encoder;

  /**
   * @param serializer the topic's serializer: its schema and registry id are the ones written
   * @param varyingFields the fields that differ between the records of a group (e.g. variant, jobId, seed)
   * @throws IllegalArgumentException when a name is not a field of the schema
   */
  public FanOutEncoder(AvroSerializer<T> serializer, Collection<String> varyingFields) {
    this.serializer = Objects.requireNonNull(serializer, "serializer");
    Schema schema = serializer.schema();
    this.fields = schema.getFields();
    this.varying = new boolean[fields.size()];
    for (String name : Set.copyOf(varyingFields)) {
      Schema.Field f = schema.getField(name);
      if (f == null) {
        throw new IllegalArgumentException("no field '" + name + "' in " + schema.getFullName()
            + "; expected one of " + fields.stream().map(Schema.Field::name).toList());
      }
      varying[f.pos()] = true;
    }
    this.writer = new FieldWriter(schema);
  }

  /**
   * The wire-format payloads of {@code group}, in order.
   *
   * @throws SerializationException when a record cannot be encoded or the schema cannot be registered
   */
  public List<byte[]> encode(String topic, List<? extends T> group) {
    List<byte[]> out = new ArrayList<>(group.size());
    if (group.isEmpty()) {
      return out;
    }
    int id = serializer.schemaId(topic);
    T first = group.get(0);
    try {
      // The record's layout: each run of shared fields as its bytes (encoded from the first record),
      // each varying field as itself.
      List<Object> parts = new ArrayList<>();
      int sharedBytes = 0;
      int i = 0;
      while (i < fields.size()) {
        if (varying[i]) {
          parts.add(fields.get(i++));
          continue;
        }
        runBuffer.reset();
        encoder = EncoderFactory.get().binaryEncoder(runBuffer, encoder);
        while (i < fields.size() && !varying[i]) {
          writer.writeField(first, fields.get(i++), encoder);
        }
        encoder.flush();
        byte[] run = runBuffer.toByteArray();
        sharedBytes += run.length;
        parts.add(run);
      }
      byte[] header = new byte[WireFormat.HEADER_SIZE];
      WireFormat.writeHeader(header, id);
      for (T record : group) {
        if (record != first && !sharesWith(record, first)) {
          out.add(serializer.serialize(topic, record));
          continue;
        }
        ByteArrayOutputStream payload = new ByteArrayOutputStream(WireFormat.HEADER_SIZE + sharedBytes + 64);
        payload.write(header);
        encoder = EncoderFactory.get().binaryEncoder(payload, encoder);
        for (Object part : parts) {
          if (part instanceof byte[] run) {
            encoder.writeFixed(run);
          } else {
            writer.writeField(record, (Schema.Field) part, encoder);
          }
        }
        encoder.flush();
        out.add(payload.toByteArray());
      }
      return out;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot write a fan-out of " + group.size() + " " + first.getSchema().getFullName()
          + " records for topic " + topic + ": " + e.getMessage(), e);
    }
  }

  private boolean sharesWith(T record, T first) {
    for (int i = 0; i < varying.length; i++) {
      if (!varying[i] && !Objects.equals(record.get(i), first.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** Avro's own field writer (logical-type conversions included), opened up to write one field at a time. */
  private static final class FieldWriter extends SpecificDatumWriter<Object> {
    FieldWriter(Schema schema) {
      super(schema);
    }

    void writeField(Object record, Schema.Field field, Encoder out) throws IOException {
      // Specific records keep no per-record writer state (SpecificData's record state is null).
      writeField(record, field, out, null);
    }
  }
}
