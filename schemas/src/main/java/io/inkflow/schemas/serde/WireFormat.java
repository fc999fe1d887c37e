package io.inkflow.schemas.serde;

/**
 * The Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro binary body.
 */
public final class WireFormat {
  public static final byte MAGIC_BYTE = 0;
  public static final int HEADER_SIZE = 5;

  private WireFormat() {}

  /** {@code <topic>-value} or {@code <topic>-key}: Confluent's TopicNameStrategy. */
  public static String subject(String topic, boolean isKey) {
    return topic + (isKey ? "-key" : "-value");
  }

  /** The schema id in a wire-format payload; the caller has checked the length and magic byte. */
  static int schemaId(byte[] data) {
    return ((data[1] & 0xff) << 24) | ((data[2] & 0xff) << 16) | ((data[3] & 0xff) << 8) | (data[4] & 0xff);
  }

  static void writeHeader(byte[] into, int schemaId) {
    into[0] = MAGIC_BYTE;
    into[1] = (byte) (schemaId >>> 24);
    into[2] = (byte) (schemaId >>> 16);
    into[3] = (byte) (schemaId >>> 8);
    into[4] = (byte) schemaId;
  }
}
