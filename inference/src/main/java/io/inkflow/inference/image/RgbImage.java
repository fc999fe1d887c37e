package io.inkflow.inference.image;

/**
 * An 8-bit RGB image, pixels interleaved row by row ({@code r, g, b, r, g, b, ...}).
 *
 * @param width pixels
 * @param height pixels
 * @param rgb {@code width * height * 3} bytes; not copied, treat as immutable
 */
public record RgbImage(int width, int height, byte[] rgb) {

  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("expected a positive size, found " + width + "x" + height);
    }
    if (rgb.length != (long) width * height * 3) {
      throw new IllegalArgumentException("expected " + (long) width * height * 3 + " bytes for "
          + width + "x" + height + " RGB, found " + rgb.length);
    }
  }

  /** Red, green or blue (c = 0, 1, 2) level at (x, y), 0..255. */
  public int level(int x, int y, int c) {
    return rgb[(y * width + x) * 3 + c] & 0xFF;
  }
}
