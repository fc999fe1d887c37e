package io.inkflow.streams.common;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A state-store value codec whose bytes start with a version byte, so that a later layout can still
 * read what an earlier one wrote into the store's changelog (restore after an upgrade). A codec that
 * replaced an unversioned layout recognises that layout's bytes ({@link #readLegacy}); version bytes
 * are chosen so they cannot be mistaken for it. Declared on the store in its topology.
 */
public abstract class VersionedSerde<T> implements Serde<T> {
  private final String what;
  private final int version;

  /**
   * @param what the value's name, for errors
   * @param version the version byte this codec writes (readers of older versions stay in {@link #read})
   */
  protected VersionedSerde(String what, int version) {
    this.what = what;
    this.version = version;
  }

  /** Writes the value's fields (after the version byte). */
  protected abstract void write(T value, DataOutputStream out) throws IOException;

  /** Reads a value written with {@code version} (the byte already read). */
  protected abstract T read(int version, DataInputStream in) throws IOException;

  /** The value of bytes written before the store was versioned, or null when {@code data} is not such bytes. */
  protected T readLegacy(byte[] data) throws IOException {
    return null;
  }

  public byte[] encode(T value) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(version);
      write(value, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public T decode(byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      T legacy = readLegacy(data);
      if (legacy != null) {
        return legacy;
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        return read(in.readUnsignedByte(), in);
      }
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot read a stored " + what + " of " + data.length + " bytes (version byte "
          + (data.length == 0 ? "none" : Integer.toString(data[0] & 0xff)) + "; this build writes " + version + "): " + e, e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> value == null ? null : encode(value);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> decode(data);
  }

  /** Signals a version byte this build cannot read. */
  protected IOException unknownVersion(int found) {
    return new IOException("unknown version " + found + "; expected at most " + version);
  }
}
