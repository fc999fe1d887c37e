package io.inkflow.inference.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Reads the text metadata (iTXt, tEXt and zTXt chunks) of a PNG without decoding its pixels: the
 * generation parameters the pipeline wrote, or any other tool's.
 */
public final class PngText {
  private static final int MAX_INFLATED = 1 << 20;

  private PngText() {}

  /** Keyword to text, in file order; a repeated keyword keeps its first value. */
  public static Map<String, String> read(byte[] png) {
    PngHeader.inspect(png);
    Map<String, String> out = new LinkedHashMap<>();
    ByteBuffer buffer = ByteBuffer.wrap(png);
    buffer.position(PngHeader.SIGNATURE.length);
    while (buffer.remaining() >= 12) {
      int length = buffer.getInt();
      int typeStart = buffer.position();
      if (length < 0 || length > buffer.remaining() - 8) {
        throw new InvalidImageException(InvalidImageException.Reason.CORRUPT,
            "chunk length " + Integer.toUnsignedString(length) + " runs past the end of the file");
      }
      String type = new String(png, typeStart, 4, StandardCharsets.US_ASCII);
      int dataStart = typeStart + 4;
      CRC32 crc = new CRC32();
      crc.update(png, typeStart, 4 + length);
      buffer.position(dataStart + length);
      if ((int) crc.getValue() != buffer.getInt()) {
        throw new InvalidImageException(InvalidImageException.Reason.CORRUPT, type + " chunk CRC mismatch");
      }
      switch (type) {
        case "iTXt": parseItxt(png, dataStart, length, out); break;
        case "tEXt": parseText(png, dataStart, length, false, out); break;
        case "zTXt": parseText(png, dataStart, length, true, out); break;
        case "IEND": return out;
        default: break;
      }
    }
    return out;
  }

  private static void parseItxt(byte[] png, int start, int length, Map<String, String> out) {
    int end = start + length;
    int keyEnd = indexOf(png, start, end);
    String key = new String(png, start, keyEnd - start, StandardCharsets.ISO_8859_1);
    int p = keyEnd + 1;
    boolean compressed = png[p] != 0;
    p += 2;
    p = indexOf(png, p, end) + 1;  // language tag
    p = indexOf(png, p, end) + 1;  // translated keyword
    byte[] body = Arrays.copyOfRange(png, p, end);
    out.putIfAbsent(key, new String(compressed ? inflate(body) : body, StandardCharsets.UTF_8));
  }

  private static void parseText(byte[] png, int start, int length, boolean compressed, Map<String, String> out) {
    int end = start + length;
    int keyEnd = indexOf(png, start, end);
    String key = new String(png, start, keyEnd - start, StandardCharsets.ISO_8859_1);
    int p = keyEnd + 1 + (compressed ? 1 : 0);
    byte[] body = Arrays.copyOfRange(png, p, end);
    out.putIfAbsent(key, new String(compressed ? inflate(body) : body, StandardCharsets.ISO_8859_1));
  }

  private static int indexOf(byte[] data, int from, int end) {
    for (int i = from; i < end; i++) {
      if (data[i] == 0) {
        return i;
      }
    }
    throw new InvalidImageException(InvalidImageException.Reason.CORRUPT, "text chunk field is not NUL-terminated");
  }

  private static byte[] inflate(byte[] data) {
    Inflater inflater = new Inflater();
    try {
      inflater.setInput(data);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      while (!inflater.finished()) {
        int n = inflater.inflate(buffer);
        if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
          throw new InvalidImageException(InvalidImageException.Reason.CORRUPT, "truncated compressed text");
        }
        out.write(buffer, 0, n);
        if (out.size() > MAX_INFLATED) {
          throw new InvalidImageException(InvalidImageException.Reason.TOO_LARGE,
              "compressed text inflates past " + MAX_INFLATED + " bytes");
        }
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new InvalidImageException(InvalidImageException.Reason.CORRUPT, "bad compressed text: " + e.getMessage(), e);
    } finally {
      inflater.end();
    }
  }
}
