package io.inkflow.inference.image;

import java.util.Arrays;

/**
 * Bicubic resizing bit for bit as Pillow's {@code Image.resize(size, Image.BICUBIC)} on an 8-bit RGB
 * image ({@code ImagingResample} in {@code libImaging/Resample.c}, unchanged from Pillow 9.4 to 12.3), which
 * is what transformers' CLIP preprocessing and torchvision's PIL transforms run.
 *
 * <p>Pillow's bicubic is antialiased: when shrinking, the a = -0.5 cubic kernel is stretched by the scale
 * factor, so every input pixel contributes. Its weights are rounded to 22-bit fixed point, and it resizes
 * horizontally then vertically with an 8-bit image in between, rounded and clipped to 0..255. A float
 * implementation, or one that skips the clipping between passes, differs by up to 21 levels on sharp edges;
 * a non-antialiased 4-tap bicubic by over 100. No Java image library reproduces this, so it is written here.
 *
 * <p>Each output pixel depends only on its own coefficients, so {@link #resizeWindow} computes a window of
 * the resized image (a centre crop) without the rest: exactly the same bytes, without the memory and time of
 * a resized image that is mostly cropped away (a 1x4000 image resized to a 224 short side is 224x896000).
 */
public final class BicubicResize {
  /** Pillow's {@code PRECISION_BITS}: 32 - 8 - 2, room for 8-bit levels and the kernel's overshoot. */
  private static final int PRECISION_BITS = 22;
  private static final int HALF = 1 << (PRECISION_BITS - 1);
  /** Pillow's bicubic support radius before stretching. */
  private static final double SUPPORT = 2.0;

  private BicubicResize() {}

  /**
   * The whole image resized to {@code width x height}. The same size returns {@code image} itself, as Pillow
   * returns an unchanged copy.
   */
  public static RgbImage resize(RgbImage image, int width, int height) {
    if (width == image.width() && height == image.height()) {
      return image;
    }
    byte[] out = new byte[checkedBytes(width, height)];
    resizeWindow(image, width, height, 0, 0, width, height, out);
    return new RgbImage(width, height, out);
  }

  /**
   * The window {@code [x0, x0 + w) x [y0, y0 + h)} of the image resized to {@code width x height}, written to
   * {@code out} as interleaved RGB rows of {@code w} pixels; the same bytes as resizing the whole image and
   * cropping. The input is only read.
   *
   * @throws IllegalArgumentException if the window is empty or does not lie inside the resized image, or
   *     {@code out} is shorter than {@code w * h * 3}
   */
  public static void resizeWindow(RgbImage image, int width, int height, int x0, int y0, int w, int h,
      byte[] out) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("expected a positive size, found " + width + "x" + height);
    }
    if (w <= 0 || h <= 0 || x0 < 0 || y0 < 0 || x0 > width - w || y0 > height - h) {
      throw new IllegalArgumentException("expected a non-empty window inside " + width + "x" + height + ", found "
          + w + "x" + h + " at (" + x0 + ", " + y0 + ")");
    }
    if (out.length < (long) w * h * 3) {
      throw new IllegalArgumentException("expected room for " + (long) w * h * 3 + " bytes, found " + out.length);
    }
    byte[] src = image.rgb();
    int srcStride = image.width() * 3;
    boolean horizontal = width != image.width();
    boolean vertical = height != image.height();
    if (!horizontal && !vertical) {
      for (int y = 0; y < h; y++) {
        System.arraycopy(src, (y0 + y) * srcStride + x0 * 3, out, y * w * 3, w * 3);
      }
      return;
    }
    Weights columns = horizontal ? new Weights(image.width(), width, x0, w) : null;
    if (!vertical) {
      horizontalPass(src, srcStride, y0, h, columns, out);
      return;
    }
    Weights rows = new Weights(image.height(), height, y0, h);
    if (!horizontal) {
      verticalPass(src, srcStride, x0 * 3, 0, rows, w * 3, out);
      return;
    }
    // Only the input rows the window's output rows read, as Pillow's ybox_first..ybox_last.
    int first = rows.first();
    int count = rows.end() - first;
    byte[] temp = new byte[checkedBytes(w, count)];
    horizontalPass(src, srcStride, first, count, columns, temp);
    verticalPass(temp, w * 3, 0, first, rows, w * 3, out);
  }

  /** Rows {@code [row0, row0 + count)} of {@code src}, each resampled to the columns of {@code columns}. */
  private static void horizontalPass(byte[] src, int srcStride, int row0, int count, Weights columns, byte[] out) {
    int[] bounds = columns.bounds;
    int[] k = columns.k;
    int ksize = columns.ksize;
    int n = columns.count;
    int o = 0;
    for (int y = 0; y < count; y++) {
      int rowStart = (row0 + y) * srcStride;
      for (int i = 0; i < n; i++) {
        int p = rowStart + bounds[2 * i] * 3;
        int taps = bounds[2 * i + 1];
        int kk = i * ksize;
        int r = HALF;
        int g = HALF;
        int b = HALF;
        for (int t = 0; t < taps; t++, p += 3) {
          int weight = k[kk + t];
          r += (src[p] & 0xFF) * weight;
          g += (src[p + 1] & 0xFF) * weight;
          b += (src[p + 2] & 0xFF) * weight;
        }
        out[o++] = clip8(r);
        out[o++] = clip8(g);
        out[o++] = clip8(b);
      }
    }
  }

  /**
   * Every output row of {@code rows} from the rows of {@code src} (row {@code firstRow} of the input stored at
   * row 0), over {@code rowBytes} bytes starting at byte {@code column0} of each row.
   */
  private static void verticalPass(byte[] src, int srcStride, int column0, int firstRow, Weights rows,
      int rowBytes, byte[] out) {
    int[] bounds = rows.bounds;
    int[] k = rows.k;
    int ksize = rows.ksize;
    int[] acc = new int[rowBytes];
    for (int j = 0; j < rows.count; j++) {
      Arrays.fill(acc, HALF);
      int taps = bounds[2 * j + 1];
      int p0 = (bounds[2 * j] - firstRow) * srcStride + column0;
      for (int t = 0; t < taps; t++, p0 += srcStride) {
        int weight = k[j * ksize + t];
        for (int q = 0; q < rowBytes; q++) {
          acc[q] += (src[p0 + q] & 0xFF) * weight;
        }
      }
      int o = j * rowBytes;
      for (int q = 0; q < rowBytes; q++) {
        out[o + q] = clip8(acc[q]);
      }
    }
  }

  /** Pillow's {@code clip8}: the fixed-point sum rounded (HALF was added first) and clipped to 0..255. */
  private static byte clip8(int acc) {
    int v = acc >> PRECISION_BITS;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }

  /** Pillow's {@code bicubic_filter}: Keys' cubic with a = -0.5, in this exact operation order. */
  static double cubic(double x) {
    if (x < 0.0) {
      x = -x;
    }
    if (x < 1.0) {
      return (1.5 * x - 2.5) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * -0.5;
    }
    return 0.0;
  }

  private static int checkedBytes(int width, int height) {
    long bytes = (long) width * height * 3;
    if (bytes > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("expected at most " + (Integer.MAX_VALUE - 8) + " bytes of RGB, found "
          + width + "x" + height);
    }
    return (int) bytes;
  }

  /**
   * Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for the output indices
   * {@code [first, first + count)} of one axis: for output i, {@code taps} input pixels from {@code start}
   * with 22-bit fixed-point weights.
   */
  static final class Weights {
    final int count;
    final int ksize;
    /** start, taps for each output index. */
    final int[] bounds;
    /** ksize weights for each output index, the first taps of them used. */
    final int[] k;

    Weights(int inSize, int outSize, int first, int count) {
      this.count = count;
      // Pillow divides (float) in1 - in0, the box width as a float, by the output size.
      double scale = (double) (float) inSize / outSize;
      double filterscale = Math.max(scale, 1.0);
      double support = SUPPORT * filterscale;
      this.ksize = (int) Math.ceil(support) * 2 + 1;
      this.bounds = new int[2 * count];
      this.k = new int[count * ksize];
      double[] w = new double[ksize];
      double ss = 1.0 / filterscale;
      for (int i = 0; i < count; i++) {
        int xx = first + i;
        double center = (xx + 0.5) * scale;
        // C's (int) casts truncate toward zero, as Java's do.
        int xmin = Math.max((int) (center - support + 0.5), 0);
        int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
        double ww = 0.0;
        for (int x = 0; x < xmax; x++) {
          double weight = cubic((x + xmin - center + 0.5) * ss);
          w[x] = weight;
          ww += weight;
        }
        for (int x = 0; x < xmax; x++) {
          double weight = ww != 0.0 ? w[x] / ww : w[x];
          k[i * ksize + x] = weight < 0 ? (int) (-0.5 + weight * (1 << PRECISION_BITS))
              : (int) (0.5 + weight * (1 << PRECISION_BITS));
        }
        bounds[2 * i] = xmin;
        bounds[2 * i + 1] = xmax;
      }
    }

    /** The first input index any output reads. */
    int first() {
      int first = Integer.MAX_VALUE;
      for (int i = 0; i < count; i++) {
        first = Math.min(first, bounds[2 * i]);
      }
      return first;
    }

    /** One past the last input index any output reads. */
    int end() {
      int end = 0;
      for (int i = 0; i < count; i++) {
        end = Math.max(end, bounds[2 * i] + bounds[2 * i + 1]);
      }
      return end;
    }
  }
}
