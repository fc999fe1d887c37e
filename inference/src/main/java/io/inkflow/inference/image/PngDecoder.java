package io.inkflow.inference.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes PNGs to {@link RgbImage}, refusing anything that is not a PNG or has more pixels than
 * allowed before a single pixel is decoded. Alpha is dropped (composited onto nothing: the colour
 * channels are kept as stored); grey, palette and 16-bit images are converted to 8-bit RGB.
 */
public final class PngDecoder {
  private PngDecoder() {}

  /**
   * Decodes a PNG.
   *
   * @param maxPixels the largest width * height accepted
   * @throws InvalidImageException NOT_PNG, CORRUPT or TOO_LARGE
   */
  public static RgbImage decode(byte[] png, long maxPixels) {
    PngInfo info = PngHeader.inspect(png);
    if (info.pixels() > maxPixels) {
      throw new InvalidImageException(InvalidImageException.Reason.TOO_LARGE,
          "expected at most " + maxPixels + " pixels, found " + info.width() + "x" + info.height());
    }
    BufferedImage image;
    // A memory-cached stream: ImageIO's default caches every read in a temporary file. read() closes
    // the stream itself unless no reader accepted it (then it is a byte array: nothing to release).
    try {
      image = ImageIO.read(new MemoryCacheImageInputStream(new ByteArrayInputStream(png)));
    } catch (IOException | RuntimeException e) {
      throw new InvalidImageException(InvalidImageException.Reason.CORRUPT, "cannot decode PNG: " + e.getMessage(), e);
    }
    if (image == null) {
      throw new InvalidImageException(InvalidImageException.Reason.CORRUPT, "cannot decode PNG: no reader accepted it");
    }
    return toRgb(image);
  }

  /** Converts any BufferedImage to 8-bit RGB. */
  public static RgbImage toRgb(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] rgb = new byte[width * height * 3];
    if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
      byte[] bgr = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
      for (int i = 0; i < width * height; i++) {
        rgb[3 * i] = bgr[3 * i + 2];
        rgb[3 * i + 1] = bgr[3 * i + 1];
        rgb[3 * i + 2] = bgr[3 * i];
      }
      return new RgbImage(width, height, rgb);
    }
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      image.getRGB(0, y, width, 1, row, 0, width);
      for (int x = 0; x < width; x++) {
        int p = (y * width + x) * 3;
        rgb[p] = (byte) (row[x] >>> 16);
        rgb[p + 1] = (byte) (row[x] >>> 8);
        rgb[p + 2] = (byte) row[x];
      }
    }
    return new RgbImage(width, height, rgb);
  }
}
