package io.inkflow.bench.ocr;

/** WCAG 2 relative luminance and contrast ratio of sRGB colours. */
public final class Contrast {
  private Contrast() {}

  /** The contrast ratio {@code (L1 + 0.05) / (L2 + 0.05)} of two 0xRRGGBB colours, lighter over darker. */
  public static double ratio(int rgb1, int rgb2) {
    double l1 = luminance(rgb1);
    double l2 = luminance(rgb2);
    return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  }

  /** The relative luminance of a 0xRRGGBB colour, 0 (black) to 1 (white). */
  public static double luminance(int rgb) {
    return 0.2126 * linear((rgb >>> 16) & 0xFF) + 0.7152 * linear((rgb >>> 8) & 0xFF) + 0.0722 * linear(rgb & 0xFF);
  }

  private static double linear(int level) {
    double c = level / 255.0;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }
}
