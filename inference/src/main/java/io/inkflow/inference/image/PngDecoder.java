package io.inkflow.inference.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes PNGs to {@link RgbImage}, refusing anything that is not a PNG or has more pixels than
 * allowed before a single pixel is decoded. The levels are those Pillow's {@code convert("RGB")}
 * gives, which is what Python-side preprocessing sees: alpha is dropped (composited onto nothing:
 * the colour channels are kept as stored), grey is copied to all three channels as stored (no
 * gamma conversion), palettes are looked up, and 16-bit samples keep their high byte. One
 * difference remains: Pillow turns 16-bit grey into {@code min(v, 255)}, here it is {@code v >> 8}.
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

  /**
   * Converts any BufferedImage to 8-bit RGB. Grey, and 8- or 16-bit RGB(A), are read from the
   * raster: {@link BufferedImage#getRGB} would convert grey as linear light (grey 128 becomes 188)
   * and round 16-bit samples instead of keeping their high byte.
   */
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
    ColorModel model = image.getColorModel();
    if (model instanceof ComponentColorModel && !model.isAlphaPremultiplied()) {
      int space = model.getColorSpace().getType();
      int bits = model.getComponentSize(0);
      if ((space == ColorSpace.TYPE_GRAY || model.getColorSpace().isCS_sRGB()) && (bits == 8 || bits == 16)) {
        return fromSamples(image.getRaster(), space == ColorSpace.TYPE_GRAY ? 1 : 3, bits - 8, rgb);
      }
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

  /** Bands 0..colours-1 of each pixel (one band is grey, copied to R, G and B), shifted right to 8 bits. */
  private static RgbImage fromSamples(Raster raster, int colours, int shift, byte[] rgb) {
    int width = raster.getWidth();
    int height = raster.getHeight();
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      for (int band = 0; band < colours; band++) {
        raster.getSamples(0, y, width, 1, band, row);
        for (int x = 0, p = y * width * 3 + band; x < width; x++, p += 3) {
          byte level = (byte) (row[x] >>> shift);
          rgb[p] = level;
          if (colours == 1) {
            rgb[p + 1] = level;
            rgb[p + 2] = level;
          }
        }
      }
    }
    return new RgbImage(width, height, rgb);
  }
}
