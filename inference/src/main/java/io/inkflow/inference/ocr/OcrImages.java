package io.inkflow.inference.ocr;

import io.inkflow.inference.image.RgbImage;
import java.util.Arrays;

/**
 * The image operations PaddleOCR's inference runs through OpenCV, on 8-bit interleaved RGB:
 * {@code cv2.resize} with bilinear interpolation (half-pixel centres, no antialiasing) and
 * {@code cv2.warpPerspective} with bicubic interpolation (a = -0.75) and replicated borders. They
 * compute in floating point where OpenCV uses fixed-point weights, so values may differ from OpenCV's
 * by one level.
 */
final class OcrImages {
  private OcrImages() {}

  /** {@code cv2.resize(image, (width, height))}, bilinear. */
  static RgbImage resize(RgbImage src, int width, int height) {
    if (width == src.width() && height == src.height()) {
      return src;
    }
    int[] x0 = new int[width];
    int[] x1 = new int[width];
    float[] fx = new float[width];
    axis(src.width(), width, x0, x1, fx);
    int[] y0 = new int[height];
    int[] y1 = new int[height];
    float[] fy = new float[height];
    axis(src.height(), height, y0, y1, fy);
    byte[] in = src.rgb();
    byte[] out = new byte[width * height * 3];
    int stride = src.width() * 3;
    for (int y = 0; y < height; y++) {
      int r0 = y0[y] * stride;
      int r1 = y1[y] * stride;
      float wy = fy[y];
      for (int x = 0; x < width; x++) {
        int a = x0[x] * 3;
        int b = x1[x] * 3;
        float wx = fx[x];
        for (int c = 0; c < 3; c++) {
          float top = (in[r0 + a + c] & 0xFF) * (1 - wx) + (in[r0 + b + c] & 0xFF) * wx;
          float bottom = (in[r1 + a + c] & 0xFF) * (1 - wx) + (in[r1 + b + c] & 0xFF) * wx;
          out[(y * width + x) * 3 + c] = (byte) saturate(Math.round(top * (1 - wy) + bottom * wy));
        }
      }
    }
    return new RgbImage(width, height, out);
  }

  private static void axis(int srcSize, int dstSize, int[] i0, int[] i1, float[] frac) {
    double scale = (double) srcSize / dstSize;
    for (int d = 0; d < dstSize; d++) {
      double s = (d + 0.5) * scale - 0.5;
      int f = (int) Math.floor(s);
      double t = s - f;
      if (f < 0) {
        f = 0;
        t = 0;
      }
      if (f >= srcSize - 1) {
        f = srcSize - 1;
        t = 0;
      }
      i0[d] = f;
      i1[d] = Math.min(f + 1, srcSize - 1);
      frac[d] = (float) t;
    }
  }

  /**
   * {@code get_rotate_crop_image}: the quad (clockwise from the top left) warped upright to
   * {@code int(max of opposite sides)} pixels, then turned 90 degrees counter-clockwise when it is at
   * least 1.5 times taller than wide.
   */
  static RgbImage cropQuad(RgbImage src, Quad q) {
    int w = (int) Math.max(q.side(0, 1), q.side(2, 3));
    int h = (int) Math.max(q.side(0, 3), q.side(1, 2));
    w = Math.max(w, 1);
    h = Math.max(h, 1);
    double[] m = homography(new double[] {0, 0, w, 0, w, h, 0, h}, q.xy);
    byte[] in = src.rgb();
    byte[] out = new byte[w * h * 3];
    int sw = src.width();
    int sh = src.height();
    double[] wx = new double[4];
    double[] wy = new double[4];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double z = m[6] * x + m[7] * y + m[8];
        double sx = (m[0] * x + m[1] * y + m[2]) / z;
        double sy = (m[3] * x + m[4] * y + m[5]) / z;
        int ix = (int) Math.floor(sx);
        int iy = (int) Math.floor(sy);
        cubic(sx - ix, wx);
        cubic(sy - iy, wy);
        for (int c = 0; c < 3; c++) {
          double acc = 0;
          for (int j = 0; j < 4; j++) {
            int yy = Math.min(Math.max(iy - 1 + j, 0), sh - 1);
            double row = 0;
            for (int i = 0; i < 4; i++) {
              int xx = Math.min(Math.max(ix - 1 + i, 0), sw - 1);
              row += wx[i] * (in[(yy * sw + xx) * 3 + c] & 0xFF);
            }
            acc += wy[j] * row;
          }
          out[(y * w + x) * 3 + c] = (byte) saturate((int) Math.round(acc));
        }
      }
    }
    RgbImage crop = new RgbImage(w, h, out);
    return (double) h / w >= 1.5 ? rotateCounterClockwise(crop) : crop;
  }

  /** OpenCV's bicubic weights (a = -0.75) for the four taps around a sample at fraction t. */
  private static void cubic(double t, double[] w) {
    final double a = -0.75;
    w[0] = ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a;
    w[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
    w[2] = ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1;
    w[3] = 1 - w[0] - w[1] - w[2];
  }

  /** {@code np.rot90}: 90 degrees counter-clockwise. */
  static RgbImage rotateCounterClockwise(RgbImage src) {
    int w = src.width();
    int h = src.height();
    byte[] in = src.rgb();
    byte[] out = new byte[in.length];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int ny = w - 1 - x;
        int nx = y;
        System.arraycopy(in, (y * w + x) * 3, out, (ny * h + nx) * 3, 3);
      }
    }
    return new RgbImage(h, w, out);
  }

  /** The 3x3 homography (row-major, h22 = 1) taking the four points {@code from} to {@code to}. */
  static double[] homography(double[] from, double[] to) {
    double[][] a = new double[8][9];
    for (int i = 0; i < 4; i++) {
      double x = from[2 * i];
      double y = from[2 * i + 1];
      double u = to[2 * i];
      double v = to[2 * i + 1];
      a[2 * i] = new double[] {x, y, 1, 0, 0, 0, -u * x, -u * y, u};
      a[2 * i + 1] = new double[] {0, 0, 0, x, y, 1, -v * x, -v * y, v};
    }
    for (int col = 0; col < 8; col++) {
      int pivot = col;
      for (int r = col + 1; r < 8; r++) {
        if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
          pivot = r;
        }
      }
      double[] swap = a[col];
      a[col] = a[pivot];
      a[pivot] = swap;
      if (Math.abs(a[col][col]) < 1e-12) {
        throw new IllegalArgumentException("degenerate quadrilateral " + Arrays.toString(to));
      }
      for (int r = 0; r < 8; r++) {
        if (r != col) {
          double f = a[r][col] / a[col][col];
          for (int k = col; k < 9; k++) {
            a[r][k] -= f * a[col][k];
          }
        }
      }
    }
    double[] m = new double[9];
    for (int i = 0; i < 8; i++) {
      m[i] = a[i][8] / a[i][i];
    }
    m[8] = 1;
    return m;
  }

  static int saturate(int v) {
    return v < 0 ? 0 : v > 255 ? 255 : v;
  }
}
