package io.inkflow.inference.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngHeaderTest {

  @Test
  void readsSizeAndFormatOfOurPngs() {
    byte[] png = PngEncoder.standard().encode(PngEncoderTest.sample(300, 200, 1), Map.of());
    assertThat(PngHeader.inspect(png)).isEqualTo(new PngInfo(300, 200, 8, 2, false));
    assertThat(PngHeader.inspect(png).decodedBytes()).isEqualTo(300L * 200 * 3);
  }

  @Test
  void readsOtherEncodersPngsAndTheDecoderConvertsThemToRgb() throws IOException {
    BufferedImage grey = new BufferedImage(10, 4, BufferedImage.TYPE_BYTE_GRAY);
    grey.getRaster().setSample(3, 2, 0, 200);
    byte[] png = write(grey);
    assertThat(PngHeader.inspect(png)).isEqualTo(new PngInfo(10, 4, 8, 0, false));
    RgbImage rgb = PngDecoder.decode(png, 100);
    assertThat(rgb.level(3, 2, 0)).isEqualTo(rgb.level(3, 2, 1)).isEqualTo(rgb.level(3, 2, 2)).isEqualTo(200);

    BufferedImage rgba = new BufferedImage(5, 5, BufferedImage.TYPE_INT_ARGB);
    rgba.setRGB(1, 1, 0x80FF2010);
    PngInfo info = PngHeader.inspect(write(rgba));
    assertThat(info.colorType()).isEqualTo(6);
    assertThat(info.channels()).isEqualTo(4);
    assertThat(PngDecoder.decode(write(rgba), 25).level(1, 1, 0)).isEqualTo(0xFF);
  }

  @Test
  void refusesWhatIsNotAPng() {
    byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1,
        0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThat(reason(jpeg)).isEqualTo(InvalidImageException.Reason.NOT_PNG);
    assertThat(reason("hello".getBytes())).isEqualTo(InvalidImageException.Reason.NOT_PNG);
    assertThat(reason(new byte[0])).isEqualTo(InvalidImageException.Reason.NOT_PNG);
  }

  @Test
  void refusesBrokenHeaders() {
    byte[] png = PngEncoder.standard().encode(PngEncoderTest.sample(4, 4, 1), Map.of());
    assertThat(reason(Arrays.copyOf(png, 20))).isEqualTo(InvalidImageException.Reason.CORRUPT);
    byte[] badCrc = png.clone();
    badCrc[20] ^= 1;  // width byte changed, CRC kept
    InvalidImageException e = catchThrowableOfType(() -> PngHeader.inspect(badCrc), InvalidImageException.class);
    assertThat(e.reason()).isEqualTo(InvalidImageException.Reason.CORRUPT);
    assertThat(e).hasMessageStartingWith("IHDR CRC expected");
    assertThat(reason(header(0, 10, 8, 2))).isEqualTo(InvalidImageException.Reason.CORRUPT);
    assertThat(reason(header(10, 10, 3, 2))).isEqualTo(InvalidImageException.Reason.CORRUPT); // depth 3
    assertThat(reason(header(10, 10, 16, 3))).isEqualTo(InvalidImageException.Reason.CORRUPT); // 16-bit palette
  }

  @Test
  void anImageBombIsMeasuredWithoutDecodingAndRefused() throws IOException {
    // A header claiming 100000 x 100000 RGBA (40 GB decoded), followed by nothing at all.
    byte[] bomb = header(100_000, 100_000, 8, 6);
    PngInfo info = PngHeader.inspect(bomb);
    assertThat(info.pixels()).isEqualTo(10_000_000_000L);
    assertThat(info.decodedBytes()).isEqualTo(40_000_000_000L);
    assertThat(PngHeader.inspect(new ByteArrayInputStream(bomb))).isEqualTo(info);
    InvalidImageException e = catchThrowableOfType(() -> PngDecoder.decode(bomb, 4096L * 4096),
        InvalidImageException.class);
    assertThat(e.reason()).isEqualTo(InvalidImageException.Reason.TOO_LARGE);
    assertThat(e).hasMessage("expected at most 16777216 pixels, found 100000x100000");
  }

  @Test
  void aPngWithBrokenPixelDataIsCorrupt() {
    byte[] png = PngEncoder.standard().encode(PngEncoderTest.sample(40, 40, 1), Map.of());
    byte[] broken = Arrays.copyOf(png, png.length - 200);
    assertThat(catchThrowableOfType(() -> PngDecoder.decode(broken, 10_000), InvalidImageException.class).reason())
        .isEqualTo(InvalidImageException.Reason.CORRUPT);
  }

  /** Signature + a valid IHDR chunk (correct CRC) with the given fields. */
  static byte[] header(int width, int height, int depth, int colorType) {
    ByteBuffer b = ByteBuffer.allocate(33);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    b.putInt(13).put(new byte[] {'I', 'H', 'D', 'R'}).putInt(width).putInt(height)
        .put((byte) depth).put((byte) colorType).put((byte) 0).put((byte) 0).put((byte) 0);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 12, 17);
    b.putInt((int) crc.getValue());
    return b.array();
  }

  private static InvalidImageException.Reason reason(byte[] data) {
    return catchThrowableOfType(() -> PngHeader.inspect(data), InvalidImageException.class).reason();
  }

  private static byte[] write(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }
}
