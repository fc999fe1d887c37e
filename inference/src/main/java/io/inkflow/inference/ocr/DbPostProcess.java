package io.inkflow.inference.ocr;

import java.util.ArrayList;
import java.util.List;

/**
 * PaddleOCR's DB post-process ({@code DBPostProcess}, quad boxes, fast score): threshold the
 * probability map, take each 8-connected region's minimum-area rectangle, drop regions whose short
 * side is under {@code minSize} or whose mean probability inside the rectangle is under
 * {@code boxThreshold}, grow the rest by {@code area * unclipRatio / perimeter} on every side (the
 * offset pyclipper computes, exact for a rectangle but for its rounded corners, which the next
 * minimum-area rectangle ignores), and scale them to the source image.
 *
 * <p>OpenCV's {@code findContours(RETR_LIST)} also returns the inner borders of regions with holes;
 * those boxes lie inside a region's own box and are left out here.
 */
final class DbPostProcess {
  static final double THRESHOLD = 0.3;
  static final double BOX_THRESHOLD = 0.6;
  static final double UNCLIP_RATIO = 1.5;
  static final int MAX_CANDIDATES = 1000;
  static final int MIN_SIZE = 3;

  /** A detected box in source-image pixels with its score. */
  record Box(Quad quad, double score) {}

  private DbPostProcess() {}

  /**
   * Boxes of the map {@code prob} [height, width], scaled to a {@code destWidth} x {@code destHeight} image.
   */
  static List<Box> boxes(float[] prob, int width, int height, int destWidth, int destHeight) {
    int[] labels = new int[width * height];
    int[] stack = new int[width * height];
    int[] xs = new int[width * height];
    int[] ys = new int[width * height];
    List<Box> out = new ArrayList<>();
    int regions = 0;
    for (int start = 0; start < prob.length && regions < MAX_CANDIDATES; start++) {
      if (labels[start] != 0 || !(prob[start] > THRESHOLD)) {
        continue;
      }
      regions++;
      int n = flood(prob, width, height, start, regions, labels, stack, xs, ys);
      Quad.Rect rect = Quad.minAreaRect(xs, ys, n);
      if (rect.shortSide() < MIN_SIZE) {
        continue;
      }
      Quad box = rect.miniBox();
      double score = meanInside(prob, width, height, box);
      if (score < BOX_THRESHOLD) {
        continue;
      }
      Quad.Rect grown = rect.grow(box.area() * UNCLIP_RATIO / box.perimeter());
      if (grown.shortSide() < MIN_SIZE + 2) {
        continue;
      }
      Quad scaled = grown.miniBox();
      double[] xy = new double[8];
      for (int i = 0; i < 4; i++) {
        xy[2 * i] = clamp(Math.rint(scaled.x(i) / width * destWidth), 0, destWidth);
        xy[2 * i + 1] = clamp(Math.rint(scaled.y(i) / height * destHeight), 0, destHeight);
      }
      out.add(new Box(new Quad(xy), score));
    }
    return out;
  }

  /** Labels the 8-connected region of above-threshold pixels holding {@code start}; its pixels land in xs/ys. */
  private static int flood(float[] prob, int width, int height, int start, int label, int[] labels, int[] stack,
      int[] xs, int[] ys) {
    int top = 0;
    int n = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      int p = stack[--top];
      int x = p % width;
      int y = p / width;
      xs[n] = x;
      ys[n] = y;
      n++;
      for (int dy = -1; dy <= 1; dy++) {
        int yy = y + dy;
        if (yy < 0 || yy >= height) {
          continue;
        }
        for (int dx = -1; dx <= 1; dx++) {
          int xx = x + dx;
          if (xx < 0 || xx >= width) {
            continue;
          }
          int q = yy * width + xx;
          if (labels[q] == 0 && prob[q] > THRESHOLD) {
            labels[q] = label;
            stack[top++] = q;
          }
        }
      }
    }
    return n;
  }

  /**
   * {@code box_score_fast}: the mean probability over the pixels of the box's bounding rectangle that
   * the box, with its corners truncated to integers as {@code cv2.fillPoly} receives them, covers.
   */
  static double meanInside(float[] prob, int width, int height, Quad box) {
    int xmin = (int) clamp(Math.floor(Math.min(Math.min(box.x(0), box.x(1)), Math.min(box.x(2), box.x(3)))), 0, width - 1);
    int xmax = (int) clamp(Math.ceil(Math.max(Math.max(box.x(0), box.x(1)), Math.max(box.x(2), box.x(3)))), 0, width - 1);
    int ymin = (int) clamp(Math.floor(Math.min(Math.min(box.y(0), box.y(1)), Math.min(box.y(2), box.y(3)))), 0, height - 1);
    int ymax = (int) clamp(Math.ceil(Math.max(Math.max(box.y(0), box.y(1)), Math.max(box.y(2), box.y(3)))), 0, height - 1);
    long[] px = new long[4];
    long[] py = new long[4];
    for (int i = 0; i < 4; i++) {
      px[i] = (long) (box.x(i) - xmin);
      py[i] = (long) (box.y(i) - ymin);
    }
    double sum = 0;
    int count = 0;
    for (int y = ymin; y <= ymax; y++) {
      for (int x = xmin; x <= xmax; x++) {
        if (inside(px, py, x - xmin, y - ymin)) {
          sum += prob[y * width + x];
          count++;
        }
      }
    }
    return count == 0 ? 0 : sum / count;
  }

  /** Whether (x, y) lies inside or on the convex quadrilateral, either winding. */
  private static boolean inside(long[] px, long[] py, long x, long y) {
    boolean negative = false;
    boolean positive = false;
    for (int i = 0; i < 4; i++) {
      int j = (i + 1) % 4;
      long c = (px[j] - px[i]) * (y - py[i]) - (py[j] - py[i]) * (x - px[i]);
      negative |= c < 0;
      positive |= c > 0;
    }
    return !(negative && positive);
  }

  static double clamp(double v, double lo, double hi) {
    return Math.max(lo, Math.min(hi, v));
  }
}
