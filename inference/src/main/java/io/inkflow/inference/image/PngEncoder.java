package io.inkflow.inference.image;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Encodes 8-bit RGB PNGs with text metadata in iTXt chunks (UTF-8, so Chinese prompts survive).
 *
 * <p>Output is a pure function of the pixels, the text entries (in the map's iteration order) and
 * the encoder settings: no timestamps (no tIME chunk), no host or library names, and deflate at a
 * fixed level, so the same job yields the same bytes and SHA-256 (for a given zlib build).
 * Instances are immutable and thread-safe.
 */
public final class PngEncoder {
  /** Row filters, as in the PNG spec; {@link #ADAPTIVE} picks per row (libpng's heuristic). */
  public enum Filter {
    NONE, SUB, UP, AVERAGE, PAETH, ADAPTIVE
  }

  private final int level;
  private final Filter filter;

  /**
   * @param level zlib level 0..9
   * @param filter row filter
   */
  public PngEncoder(int level, Filter filter) {
    if (level < 0 || level > 9) {
      throw new IllegalArgumentException("expected a zlib level 0..9, found " + level);
    }
    this.level = level;
    this.filter = filter;
  }

  /** Level 6 with adaptive filtering: the size/speed balance of PIL and libpng defaults. */
  public static PngEncoder standard() {
    return new PngEncoder(6, Filter.ADAPTIVE);
  }

  /** Level 1 with the Sub filter: several times faster, somewhat larger files. */
  public static PngEncoder fast() {
    return new PngEncoder(1, Filter.SUB);
  }

  /**
   * Encodes an image.
   *
   * @param text iTXt entries written in iteration order; keys are PNG keywords (1-79 printable
   *     Latin-1 characters, no leading, trailing or double spaces); NUL characters in values are
   *     replaced by U+FFFD, which PNG text may not contain
   */
  public byte[] encode(RgbImage image, Map<String, String> text) {
    int stride = image.width() * 3;
    byte[] filtered = filterRows(image.rgb(), image.width(), image.height(), stride);
    byte[] idat = deflate(filtered);
    ByteArrayOutputStream out = new ByteArrayOutputStream(idat.length + 256 + text.size() * 128);
    out.writeBytes(PngHeader.SIGNATURE);
    byte[] ihdr = new byte[13];
    putInt(ihdr, 0, image.width());
    putInt(ihdr, 4, image.height());
    ihdr[8] = 8;  // bit depth
    ihdr[9] = 2;  // colour type RGB
    chunk(out, "IHDR", ihdr);
    for (Map.Entry<String, String> entry : text.entrySet()) {
      chunk(out, "iTXt", itxt(entry.getKey(), entry.getValue()));
    }
    chunk(out, "IDAT", idat);
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  static byte[] itxt(String keyword, String value) {
    checkKeyword(keyword);
    byte[] key = keyword.getBytes(StandardCharsets.ISO_8859_1);
    byte[] body = value.replace('\0', '\uFFFD').getBytes(StandardCharsets.UTF_8);
    // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL
    byte[] data = new byte[key.length + 5 + body.length];
    System.arraycopy(key, 0, data, 0, key.length);
    System.arraycopy(body, 0, data, key.length + 5, body.length);
    return data;
  }

  /** Throws unless {@code keyword} is a valid PNG text keyword. */
  public static void checkKeyword(String keyword) {
    boolean valid = !keyword.isEmpty() && keyword.length() <= 79 && !keyword.startsWith(" ")
        && !keyword.endsWith(" ") && !keyword.contains("  ");
    for (int i = 0; valid && i < keyword.length(); i++) {
      char c = keyword.charAt(i);
      valid = (c >= 32 && c <= 126) || (c >= 161 && c <= 255);
    }
    if (!valid) {
      throw new IllegalArgumentException("expected a PNG keyword (1-79 printable Latin-1 characters, no "
          + "leading, trailing or double spaces), found '" + keyword + "'");
    }
  }

  private byte[] filterRows(byte[] rgb, int width, int height, int stride) {
    byte[] out = new byte[height * (stride + 1)];
    for (int y = 0; y < height; y++) {
      int row = y * stride;
      int prev = y == 0 ? -1 : row - stride;
      Filter f = filter == Filter.ADAPTIVE ? choose(rgb, row, prev, stride) : filter;
      int dst = y * (stride + 1);
      out[dst] = (byte) f.ordinal();
      apply(f, rgb, row, prev, stride, out, dst + 1);
    }
    return out;
  }

  /**
   * The filter with the smallest sum of absolute residuals (as signed bytes) for a row: libpng's
   * heuristic, computed for all five filters in one pass.
   */
  private static Filter choose(byte[] rgb, int row, int prev, int stride) {
    long none = 0;
    long sub = 0;
    long up = 0;
    long average = 0;
    long paeth = 0;
    for (int i = 0; i < stride; i++) {
      int x = rgb[row + i] & 0xFF;
      int a = i >= 3 ? rgb[row + i - 3] & 0xFF : 0;
      int b = prev >= 0 ? rgb[prev + i] & 0xFF : 0;
      int c = prev >= 0 && i >= 3 ? rgb[prev + i - 3] & 0xFF : 0;
      none += Math.abs((byte) x);
      sub += Math.abs((byte) (x - a));
      up += Math.abs((byte) (x - b));
      average += Math.abs((byte) (x - ((a + b) >>> 1)));
      paeth += Math.abs((byte) (x - paeth(a, b, c)));
    }
    Filter best = Filter.NONE;
    long min = none;
    if (sub < min) {
      min = sub;
      best = Filter.SUB;
    }
    if (up < min) {
      min = up;
      best = Filter.UP;
    }
    if (average < min) {
      min = average;
      best = Filter.AVERAGE;
    }
    if (paeth < min) {
      best = Filter.PAETH;
    }
    return best;
  }

  private static void apply(Filter f, byte[] rgb, int row, int prev, int stride, byte[] out, int dst) {
    switch (f) {
      case NONE:
        System.arraycopy(rgb, row, out, dst, stride);
        break;
      case SUB:
        System.arraycopy(rgb, row, out, dst, Math.min(3, stride));
        for (int i = 3; i < stride; i++) {
          out[dst + i] = (byte) (rgb[row + i] - rgb[row + i - 3]);
        }
        break;
      case UP:
        if (prev < 0) {
          System.arraycopy(rgb, row, out, dst, stride);
        } else {
          for (int i = 0; i < stride; i++) {
            out[dst + i] = (byte) (rgb[row + i] - rgb[prev + i]);
          }
        }
        break;
      case AVERAGE:
        for (int i = 0; i < stride; i++) {
          int a = i >= 3 ? rgb[row + i - 3] & 0xFF : 0;
          int b = prev >= 0 ? rgb[prev + i] & 0xFF : 0;
          out[dst + i] = (byte) (rgb[row + i] - ((a + b) >>> 1));
        }
        break;
      case PAETH:
        for (int i = 0; i < stride; i++) {
          int a = i >= 3 ? rgb[row + i - 3] & 0xFF : 0;
          int b = prev >= 0 ? rgb[prev + i] & 0xFF : 0;
          int c = prev >= 0 && i >= 3 ? rgb[prev + i - 3] & 0xFF : 0;
          out[dst + i] = (byte) (rgb[row + i] - paeth(a, b, c));
        }
        break;
      default:
        throw new IllegalStateException(f.name());
    }
  }

  static int paeth(int a, int b, int c) {
    int p = a + b - c;
    int pa = Math.abs(p - a);
    int pb = Math.abs(p - b);
    int pc = Math.abs(p - c);
    if (pa <= pb && pa <= pc) {
      return a;
    }
    return pb <= pc ? b : c;
  }

  private byte[] deflate(byte[] data) {
    Deflater deflater = new Deflater(level);
    try {
      deflater.setInput(data);
      deflater.finish();
      ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
      byte[] buffer = new byte[64 * 1024];
      while (!deflater.finished()) {
        int n = deflater.deflate(buffer);
        out.write(buffer, 0, n);
      }
      return out.toByteArray();
    } finally {
      deflater.end();
    }
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] header = new byte[8];
    putInt(header, 0, data.length);
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(typeBytes, 0, header, 4, 4);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    byte[] crcBytes = new byte[4];
    putInt(crcBytes, 0, (int) crc.getValue());
    out.writeBytes(header);
    out.writeBytes(data);
    out.writeBytes(crcBytes);
  }

  private static void putInt(byte[] b, int offset, int v) {
    b[offset] = (byte) (v >>> 24);
    b[offset + 1] = (byte) (v >>> 16);
    b[offset + 2] = (byte) (v >>> 8);
    b[offset + 3] = (byte) v;
  }
}
