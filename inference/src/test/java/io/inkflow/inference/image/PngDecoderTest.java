package io.inkflow.inference.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/**
 * The decoder gives the levels Pillow's {@code Image.open(png).convert("RGB")} gives (values worked out from Pillow's
 * unpackers and converters: grey copied, alpha dropped, palette looked up, 16-bit samples by their high byte), so
 * that preprocessing written against Python sees the same input. PNGs are written by hand to control the format.
 */
class PngDecoderTest {

  @Test
  void greyIsCopiedToRgbWithoutGammaConversion() {
    byte[] grey = png(4, 1, 8, 0, null, null, new byte[] {0, 50, (byte) 128, (byte) 200});
    assertThat(levels(PngDecoder.decode(grey, 4))).containsExactly(0, 0, 0, 50, 50, 50, 128, 128, 128, 200, 200, 200);

    byte[] greyAlpha = png(2, 1, 8, 4, null, null, new byte[] {50, 10, (byte) 200, (byte) 255});
    assertThat(levels(PngDecoder.decode(greyAlpha, 2))).containsExactly(50, 50, 50, 200, 200, 200);

    byte[] transparentGrey = png(2, 1, 8, 0, null, new byte[] {0, 50}, new byte[] {50, (byte) 200});
    assertThat(levels(PngDecoder.decode(transparentGrey, 2))).containsExactly(50, 50, 50, 200, 200, 200);

    byte[] fourBit = png(4, 1, 4, 0, null, null, new byte[] {0x05, (byte) 0xAF}); // 0, 5, 10, 15 -> x17
    assertThat(levels(PngDecoder.decode(fourBit, 4))).containsExactly(0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255,
        255);
  }

  @Test
  void alphaIsDroppedNotComposited() {
    byte[] rgba = png(2, 1, 8, 6, null, null, new byte[] {10, 20, 30, 0, 40, 50, 60, (byte) 128});
    assertThat(levels(PngDecoder.decode(rgba, 2))).containsExactly(10, 20, 30, 40, 50, 60);
  }

  @Test
  void sixteenBitSamplesKeepTheirHighByte() {
    // Pillow unpacks RGB;16B by the high byte: 0x01FF -> 1 and 0x00FF -> 0, where rounding v/257 gives 2 and 1.
    byte[] rgb16 = png(2, 1, 16, 2, null, null, shorts(0x0080, 0x01FF, 0x8080, 0x00FF, 0x0100, 0xFF7F));
    assertThat(levels(PngDecoder.decode(rgb16, 2))).containsExactly(0, 1, 128, 0, 1, 255);

    byte[] rgba16 = png(1, 1, 16, 6, null, null, shorts(0x01FF, 0x7FFF, 0xFFFF, 0x0000));
    assertThat(levels(PngDecoder.decode(rgba16, 1))).containsExactly(1, 127, 255);

    // Pillow itself gives min(v, 255) for 16-bit grey (I;16 -> RGB); the high byte is the deliberate difference.
    byte[] grey16 = png(3, 1, 16, 0, null, null, shorts(0x0080, 0x01FF, 0x8080));
    assertThat(levels(PngDecoder.decode(grey16, 3))).containsExactly(0, 0, 0, 1, 1, 1, 128, 128, 128);
  }

  @Test
  void palettesAreLookedUpIgnoringTransparency() {
    byte[] palette = png(3, 1, 8, 3, new byte[] {10, 20, 30, 40, 50, 60, 70, 80, 90}, new byte[] {0, (byte) 128},
        new byte[] {0, 1, 2});
    assertThat(levels(PngDecoder.decode(palette, 3))).containsExactly(10, 20, 30, 40, 50, 60, 70, 80, 90);
  }

  private static int[] levels(RgbImage image) {
    int[] out = new int[image.rgb().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = image.rgb()[i] & 0xFF;
    }
    return out;
  }

  private static byte[] shorts(int... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 2);
    for (int v : values) {
      b.putShort((short) v);
    }
    return b.array();
  }

  /** A one-IDAT PNG whose rows all use filter 0; {@code pixels} is the packed scanline data without filter bytes. */
  private static byte[] png(int width, int height, int depth, int colorType, byte[] plte, byte[] trns, byte[] pixels) {
    int rowBytes = pixels.length / height;
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    for (int y = 0; y < height; y++) {
      raw.write(0);
      raw.write(pixels, y * rowBytes, rowBytes);
    }
    Deflater deflater = new Deflater();
    deflater.setInput(raw.toByteArray());
    deflater.finish();
    byte[] buffer = new byte[raw.size() + 64];
    int compressed = deflater.deflate(buffer);
    deflater.end();

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) depth).put((byte) colorType);
    chunk(out, "IHDR", ihdr.array());
    if (plte != null) {
      chunk(out, "PLTE", plte);
    }
    if (trns != null) {
      chunk(out, "tRNS", trns);
    }
    byte[] idat = new byte[compressed];
    System.arraycopy(buffer, 0, idat, 0, compressed);
    chunk(out, "IDAT", idat);
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] name = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(name);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(name);
    out.writeBytes(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }
}
