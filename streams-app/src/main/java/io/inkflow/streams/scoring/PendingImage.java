package io.inkflow.streams.scoring;

import io.inkflow.streams.common.VersionedSerde;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
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

  /** The store codec: version byte 1, then key, value, headers, timestamp and source coordinates. */
  static final VersionedSerde<PendingImage> SERDE = new VersionedSerde<>("buffered image", 1) {
    @Override
    protected void write(PendingImage p, DataOutputStream out) throws IOException {
      writeBytes(out, p.key);
      writeBytes(out, p.value);
      out.writeInt(p.headers.size());
      for (Map.Entry<String, byte[]> h : p.headers) {
        writeBytes(out, h.getKey().getBytes(StandardCharsets.UTF_8));
        writeBytes(out, h.getValue());
      }
      out.writeLong(p.timestamp);
      out.writeUTF(p.topic);
      out.writeInt(p.partition);
      out.writeLong(p.offset);
    }

    @Override
    protected PendingImage read(int version, DataInputStream in) throws IOException {
      if (version != 1) {
        throw unknownVersion(version);
      }
      byte[] key = readBytes(in);
      byte[] value = readBytes(in);
      int n = in.readInt();
      List<Map.Entry<String, byte[]>> headers = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String k = new String(readBytes(in), StandardCharsets.UTF_8);
        headers.add(new AbstractMap.SimpleImmutableEntry<>(k, readBytes(in)));
      }
      return new PendingImage(key, value, headers, in.readLong(), in.readUTF(), in.readInt(), in.readLong());
    }
  };

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
