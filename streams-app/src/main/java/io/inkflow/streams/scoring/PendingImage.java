package io.inkflow.streams.scoring;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An image waiting in the micro-batch buffer: the record exactly as it arrived (so that a dead letter
 * written at flush time still carries the original bytes, headers and source coordinates).
 *
 * @param key original key bytes (may be null)
 * @param value original value bytes
 * @param headers original headers, in order
 * @param timestamp the record's timestamp
 * @param topic source topic
 * @param partition source partition
 * @param offset source offset
 */
record PendingImage(byte[] key, byte[] value, List<Map.Entry<String, byte[]>> headers, long timestamp,
    String topic, int partition, long offset) {

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length + 128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(1);
      writeBytes(out, key);
      writeBytes(out, value);
      out.writeInt(headers.size());
      for (Map.Entry<String, byte[]> h : headers) {
        writeBytes(out, h.getKey().getBytes(StandardCharsets.UTF_8));
        writeBytes(out, h.getValue());
      }
      out.writeLong(timestamp);
      out.writeUTF(topic);
      out.writeInt(partition);
      out.writeLong(offset);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static PendingImage decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      int version = in.readByte();
      if (version != 1) {
        throw new IllegalStateException("expected buffer entry version 1, found " + version);
      }
      byte[] key = readBytes(in);
      byte[] value = readBytes(in);
      int n = in.readInt();
      List<Map.Entry<String, byte[]>> headers = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String k = new String(readBytes(in), StandardCharsets.UTF_8);
        headers.add(new java.util.AbstractMap.SimpleImmutableEntry<>(k, readBytes(in)));
      }
      return new PendingImage(key, value, headers, in.readLong(), in.readUTF(), in.readInt(), in.readLong());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    if (b == null) {
      out.writeInt(-1);
    } else {
      out.writeInt(b.length);
      out.write(b);
    }
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    return n < 0 ? null : in.readNBytes(n);
  }
}
