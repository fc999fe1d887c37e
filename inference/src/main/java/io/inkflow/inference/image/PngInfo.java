package io.inkflow.inference.image;

/**
 * What a PNG's header says, read without decoding any pixel data.
 *
 * @param width pixels
 * @param height pixels
 * @param bitDepth bits per sample (1, 2, 4, 8 or 16)
 * @param colorType PNG colour type (0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA)
 * @param interlaced Adam7 interlacing
 */
public record PngInfo(int width, int height, int bitDepth, int colorType, boolean interlaced) {

  /** width * height. */
  public long pixels() {
    return (long) width * height;
  }

  /** Samples per pixel for the colour type. */
  public int channels() {
    switch (colorType) {
      case 0: case 3: return 1;
      case 4: return 2;
      case 2: return 3;
      case 6: return 4;
      default: throw new IllegalStateException("colour type " + colorType);
    }
  }

  /** Bytes the raw pixels take once decoded (before any conversion to RGB). */
  public long decodedBytes() {
    long bitsPerRow = (long) width * channels() * bitDepth;
    return (bitsPerRow + 7) / 8 * height;
  }
}
