package io.inkflow.schemas.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Writes the records of a fan-out (records of one type that differ only in a few named fields, such
 * as the jobs of one request) in the Confluent wire format, encoding the fields they share once per
 * group instead of once per record.
 *
 * <p>An Avro record's binary form is its fields' encodings one after another, so a run of shared
 * fields encodes to the same bytes in every record of the group. Each payload is therefore byte for
 * byte what {@link AvroSerializer} writes for that record. A record whose other fields do not
 * certainly encode like the group's first record's is written in full, so every group is encoded
 * correctly; it is only faster when the records really share. Shared records, arrays and maps must be
 * the same objects (as a planner that builds the records of a group from one set of values makes
 * them); strings, numbers, booleans, enums and instants need only be equal.
 *
 * <p>Not thread-safe: one per stream task or thread.
 *
 * @param <T> the generated record type
 */
public final class FanOutEncoder<T extends SpecificRecordBase> {
  private final AvroSerializer<T> serializer;
  private final List<Schema.Field> fields;
  private final boolean[] varying;
  /**
   * The record's layout, in field order: part p is the varying field {@code varyingField[p]}, or,
   * where that is -1, the run of shared fields {@code runFrom[p]} up to (excluded) {@code runTo[p]}.
   */
  private final int[] varyingField;
  private final int[] runFrom;
  private final int[] runTo;
  private final FieldWriter writer;
  private final Buffer runBuffer = new Buffer(1024);
  private final Buffer varyingBuffer = new Buffer(256);
  private final int[] varyingEnd;
  private BinaryEncoder encoder;
  private long writtenInFull;

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
    List<int[]> parts = new ArrayList<>();
    for (int i = 0; i < fields.size(); ) {
      if (varying[i]) {
        parts.add(new int[] {i, -1, -1});
        i++;
        continue;
      }
      int from = i;
      while (i < fields.size() && !varying[i]) {
        i++;
      }
      parts.add(new int[] {-1, from, i});
    }
    this.varyingField = parts.stream().mapToInt(p -> p[0]).toArray();
    this.runFrom = parts.stream().mapToInt(p -> p[1]).toArray();
    this.runTo = parts.stream().mapToInt(p -> p[2]).toArray();
    this.varyingEnd = new int[parts.size()];
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
    for (int i = 0; i < group.size(); i++) {
      Objects.requireNonNull(group.get(i), "record " + i + " of the group is null; a fan-out writes no tombstones");
    }
    int id = serializer.schemaId(topic);
    T first = group.get(0);
    try {
      // Each run of shared fields, encoded once from the first record.
      byte[][] runs = new byte[varyingField.length][];
      int sharedBytes = 0;
      for (int p = 0; p < varyingField.length; p++) {
        if (varyingField[p] < 0) {
          runBuffer.reset();
          encoder = EncoderFactory.get().binaryEncoder(runBuffer, encoder);
          for (int f = runFrom[p]; f < runTo[p]; f++) {
            writer.writeField(first, fields.get(f), encoder);
          }
          encoder.flush();
          runs[p] = runBuffer.toByteArray();
          sharedBytes += runs[p].length;
        }
      }
      for (T record : group) {
        if (record != first && !sharesWith(record, first)) {
          writtenInFull++;
          out.add(serializer.serialize(topic, record));
          continue;
        }
        // This record's varying fields, one after another, then the payload assembled at its exact size.
        varyingBuffer.reset();
        encoder = EncoderFactory.get().binaryEncoder(varyingBuffer, encoder);
        for (int p = 0; p < varyingField.length; p++) {
          if (varyingField[p] >= 0) {
            writer.writeField(record, fields.get(varyingField[p]), encoder);
            encoder.flush();
            varyingEnd[p] = varyingBuffer.size();
          }
        }
        byte[] payload = new byte[WireFormat.HEADER_SIZE + sharedBytes + varyingBuffer.size()];
        WireFormat.writeHeader(payload, id);
        int at = WireFormat.HEADER_SIZE;
        int varyingFrom = 0;
        for (int p = 0; p < varyingField.length; p++) {
          if (varyingField[p] < 0) {
            System.arraycopy(runs[p], 0, payload, at, runs[p].length);
            at += runs[p].length;
          } else {
            int length = varyingEnd[p] - varyingFrom;
            System.arraycopy(varyingBuffer.array(), varyingFrom, payload, at, length);
            at += length;
            varyingFrom = varyingEnd[p];
          }
        }
        out.add(payload);
      }
      return out;
    } catch (IOException | RuntimeException e) {
      // The encoder may hold bytes of the failed record; reusing it would write them into the next payload.
      encoder = null;
      throw new SerializationException("cannot write a fan-out of " + group.size() + " " + first.getSchema().getFullName()
          + " records for topic " + topic + ": " + e.getMessage(), e);
    }
  }

  /** How many records were written in full because a field not declared varying differed from the group's first. */
  public long writtenInFull() {
    return writtenInFull;
  }

  private boolean sharesWith(T record, T first) {
    for (int i = 0; i < varying.length; i++) {
      if (!varying[i] && !encodesAlike(record.get(i), first.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether two field values certainly encode to the same bytes: the same object, or equal immutable
   * scalars. Equal records, arrays and maps are not enough (a map's entries are written in iteration
   * order, which equality ignores), nor are equal floats (NaNs of different bits are equal).
   */
  static boolean encodesAlike(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null || a.getClass() != b.getClass()) {
      return false;
    }
    if (a instanceof Float x) {
      return Float.floatToRawIntBits(x) == Float.floatToRawIntBits((Float) b);
    }
    if (a instanceof Double x) {
      return Double.doubleToRawLongBits(x) == Double.doubleToRawLongBits((Double) b);
    }
    return (a instanceof String || a instanceof Integer || a instanceof Long || a instanceof Boolean
        || a instanceof Enum<?> || a instanceof Instant) && a.equals(b);
  }

  /** A byte buffer whose contents can be copied from without a copy of their own. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer(int size) {
      super(size);
    }

    byte[] array() {
      return buf;
    }
  }

  /** Avro's own field writer (logical-type conversions included), opened up to write one field at a time. */
  private static final class FieldWriter extends StrictDatumWriter<Object> {
    FieldWriter(Schema schema) {
      super(schema);
    }

    void writeField(Object record, Schema.Field field, Encoder out) throws IOException {
      // Specific records keep no per-record writer state (SpecificData's record state is null).
      writeField(record, field, out, null);
    }
  }
}
