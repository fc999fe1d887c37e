package io.inkflow.inference.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Reads a PNG's size and format from its first 33 bytes (signature + IHDR chunk), checking the
 * chunk's CRC and field ranges, without decoding any pixels: the scoring stream uses it to refuse
 * non-PNGs and oversized images (decompression bombs) before spending memory on them.
 */
public final class PngHeader {
  /** The 8-byte PNG signature. */
  static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  /** Signature + IHDR length, type, 13 data bytes and CRC. */
  public static final int HEADER_BYTES = 33;

  private PngHeader() {}

  /** Inspects the start of a PNG held in memory. */
  public static PngInfo inspect(byte[] data) {
    if (data.length < HEADER_BYTES) {
      if (data.length < SIGNATURE.length || !Arrays.equals(data, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
        throw new InvalidImageException(InvalidImageException.Reason.NOT_PNG,
            "expected a PNG signature, found " + data.length + " bytes");
      }
      throw new InvalidImageException(InvalidImageException.Reason.CORRUPT,
          "expected at least " + HEADER_BYTES + " bytes of PNG header, found " + data.length);
    }
    return parse(data);
  }

  /** Inspects the start of a stream, reading at most {@value #HEADER_BYTES} bytes from it. */
  public static PngInfo inspect(InputStream in) throws IOException {
    return inspect(in.readNBytes(HEADER_BYTES));
  }

  private static PngInfo parse(byte[] data) {
    if (!Arrays.equals(data, 0, SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
      throw new InvalidImageException(InvalidImageException.Reason.NOT_PNG, "expected a PNG signature, found "
          + hex(data, 0, SIGNATURE.length));
    }
    ByteBuffer buffer = ByteBuffer.wrap(data, SIGNATURE.length, HEADER_BYTES - SIGNATURE.length);
    int length = buffer.getInt();
    int type = buffer.getInt();
    if (type != 0x49484452 || length != 13) {
      throw corrupt("expected an IHDR chunk of 13 bytes first, found type " + hex(data, 12, 4)
          + " of " + Integer.toUnsignedString(length) + " bytes");
    }
    CRC32 crc = new CRC32();
    crc.update(data, 12, 17);
    int width = buffer.getInt();
    int height = buffer.getInt();
    int bitDepth = buffer.get() & 0xFF;
    int colorType = buffer.get() & 0xFF;
    int compression = buffer.get() & 0xFF;
    int filter = buffer.get() & 0xFF;
    int interlace = buffer.get() & 0xFF;
    int expectedCrc = buffer.getInt();
    if ((int) crc.getValue() != expectedCrc) {
      throw corrupt("IHDR CRC expected " + Integer.toHexString(expectedCrc) + ", found "
          + Long.toHexString(crc.getValue()));
    }
    if (width <= 0 || height <= 0) {
      throw corrupt("expected a positive size, found " + Integer.toUnsignedString(width) + "x"
          + Integer.toUnsignedString(height));
    }
    if (!validDepth(colorType, bitDepth)) {
      throw corrupt("bit depth " + bitDepth + " is not valid for colour type " + colorType);
    }
    if (compression != 0 || filter != 0 || interlace > 1) {
      throw corrupt("expected compression 0, filter 0, interlace 0 or 1, found "
          + compression + ", " + filter + ", " + interlace);
    }
    return new PngInfo(width, height, bitDepth, colorType, interlace == 1);
  }

  private static boolean validDepth(int colorType, int depth) {
    switch (colorType) {
      case 0: return depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
      case 3: return depth == 1 || depth == 2 || depth == 4 || depth == 8;
      case 2: case 4: case 6: return depth == 8 || depth == 16;
      default: return false;
    }
  }

  private static InvalidImageException corrupt(String message) {
    return new InvalidImageException(InvalidImageException.Reason.CORRUPT, message);
  }

  private static String hex(byte[] data, int offset, int length) {
    StringBuilder sb = new StringBuilder();
    for (int i = offset; i < Math.min(data.length, offset + length); i++) {
      sb.append(String.format("%02x", data[i] & 0xFF));
    }
    return sb.toString();
  }
}
