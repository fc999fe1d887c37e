package io.inkflow.schemas.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * A decoder that refuses any string, byte or collection length larger than the payload it reads.
 *
 * <p>Avro's binary decoder allocates a string's or array's declared length before reading it, so a
 * corrupt or hostile 20-byte record claiming a 1 GiB string exhausts the heap. No well-formed value
 * can be longer than the bytes that hold it (every element of our schemas takes at least one byte),
 * so lengths are checked against the payload size before anything is allocated.
 *
 * <p>Strings must be well-formed UTF-8: Avro would turn invalid bytes (from a non-Java producer, or
 * corruption) into U+FFFD without a word; here they raise an {@link InvalidTextException}.
 */
final class BoundedDecoder extends Decoder {
  private final Decoder in;
  private final long limit;

  BoundedDecoder(Decoder in, long limit) {
    this.in = in;
    this.limit = limit;
  }

  private long check(long n, String what) {
    if (n < 0 || n > limit) {
      throw new AvroRuntimeException("declared " + what + " " + n + " does not fit in a payload of " + limit + " bytes");
    }
    return n;
  }

  @Override
  public void readNull() throws IOException {
    in.readNull();
  }

  @Override
  public boolean readBoolean() throws IOException {
    return in.readBoolean();
  }

  @Override
  public int readInt() throws IOException {
    return in.readInt();
  }

  @Override
  public long readLong() throws IOException {
    return in.readLong();
  }

  @Override
  public float readFloat() throws IOException {
    return in.readFloat();
  }

  @Override
  public double readDouble() throws IOException {
    return in.readDouble();
  }

  @Override
  public Utf8 readString(Utf8 old) throws IOException {
    // Same encoding as Avro's: a zig-zag long length, then that many UTF-8 bytes.
    int length = (int) check(in.readLong(), "string length");
    Utf8 result = old != null ? old : new Utf8();
    result.setByteLength(length);
    if (length > 0) {
      in.readFixed(result.getBytes(), 0, length);
      if (!StrictText.isUtf8(result.getBytes(), length)) {
        throw new InvalidTextException("a string of " + length + " bytes is not well-formed UTF-8");
      }
    }
    return result;
  }

  @Override
  public String readString() throws IOException {
    return readString(null).toString();
  }

  @Override
  public void skipString() throws IOException {
    in.skipFixed((int) check(in.readLong(), "string length"));
  }

  @Override
  public ByteBuffer readBytes(ByteBuffer old) throws IOException {
    int length = (int) check(in.readLong(), "bytes length");
    ByteBuffer result = old != null && old.capacity() >= length ? old : ByteBuffer.allocate(length);
    result.clear();
    in.readFixed(result.array(), result.arrayOffset(), length);
    result.limit(length);
    return result;
  }

  @Override
  public void skipBytes() throws IOException {
    in.skipFixed((int) check(in.readLong(), "bytes length"));
  }

  @Override
  public void readFixed(byte[] bytes, int start, int length) throws IOException {
    in.readFixed(bytes, start, length);
  }

  @Override
  public void skipFixed(int length) throws IOException {
    in.skipFixed(length);
  }

  @Override
  public int readEnum() throws IOException {
    return in.readEnum();
  }

  @Override
  public long readArrayStart() throws IOException {
    return check(in.readArrayStart(), "array size");
  }

  @Override
  public long arrayNext() throws IOException {
    return check(in.arrayNext(), "array size");
  }

  @Override
  public long skipArray() throws IOException {
    return in.skipArray();
  }

  @Override
  public long readMapStart() throws IOException {
    return check(in.readMapStart(), "map size");
  }

  @Override
  public long mapNext() throws IOException {
    return check(in.mapNext(), "map size");
  }

  @Override
  public long skipMap() throws IOException {
    return in.skipMap();
  }

  @Override
  public int readIndex() throws IOException {
    return in.readIndex();
  }
}
