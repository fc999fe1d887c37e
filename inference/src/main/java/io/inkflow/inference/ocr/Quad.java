package io.inkflow.inference.ocr;

import java.util.Arrays;

/**
 * A quadrilateral, four points as {@code x0, y0, ..., x3, y3}, and the geometry PaddleOCR's DB
 * post-process uses on it: the minimum-area rectangle of a point set (OpenCV's {@code minAreaRect}
 * with {@code boxPoints}), its corner order ({@code get_mini_boxes}) and the clockwise order of
 * {@code order_points_clockwise}.
 */
final class Quad {
  final double[] xy;

  Quad(double[] xy) {
    if (xy.length != 8) {
      throw new IllegalArgumentException("expected 8 coordinates, found " + xy.length);
    }
    this.xy = xy;
  }

  double x(int i) {
    return xy[2 * i];
  }

  double y(int i) {
    return xy[2 * i + 1];
  }

  /** Length of the side from corner i to corner j. */
  double side(int i, int j) {
    return Math.hypot(x(i) - x(j), y(i) - y(j));
  }

  double area() {
    double a = 0;
    for (int i = 0; i < 4; i++) {
      int j = (i + 1) % 4;
      a += x(i) * y(j) - x(j) * y(i);
    }
    return Math.abs(a) / 2;
  }

  double perimeter() {
    return side(0, 1) + side(1, 2) + side(2, 3) + side(3, 0);
  }

  @Override
  public String toString() {
    return Arrays.toString(xy);
  }

  /**
   * A rotated rectangle: centre, side lengths along {@code (ux, uy)} and its normal.
   */
  record Rect(double cx, double cy, double width, double height, double ux, double uy) {

    double shortSide() {
      return Math.min(width, height);
    }

    /** The same rectangle grown by {@code d} on every side. */
    Rect grow(double d) {
      return new Rect(cx, cy, width + 2 * d, height + 2 * d, ux, uy);
    }

    /** The corners in {@code get_mini_boxes}' order: sorted by x, then the left pair and the right pair each by y. */
    Quad miniBox() {
      double hx = ux * width / 2;
      double hy = uy * width / 2;
      double vx = -uy * height / 2;
      double vy = ux * height / 2;
      double[][] p = {
          {cx - hx - vx, cy - hy - vy}, {cx + hx - vx, cy + hy - vy},
          {cx + hx + vx, cy + hy + vy}, {cx - hx + vx, cy - hy + vy}};
      Arrays.sort(p, (a, b) -> Double.compare(a[0], b[0]));
      double[] first = p[1][1] > p[0][1] ? p[0] : p[1];
      double[] fourth = p[1][1] > p[0][1] ? p[1] : p[0];
      double[] second = p[3][1] > p[2][1] ? p[2] : p[3];
      double[] third = p[3][1] > p[2][1] ? p[3] : p[2];
      return new Quad(new double[] {first[0], first[1], second[0], second[1], third[0], third[1], fourth[0], fourth[1]});
    }
  }

  /**
   * The minimum-area enclosing rectangle of integer points {@code (xs[i], ys[i])}: convex hull, then
   * rotating calipers over the hull's edges. A single point or a line gives a rectangle with zero sides.
   */
  static Rect minAreaRect(int[] xs, int[] ys, int n) {
    long[][] hull = convexHull(xs, ys, n);
    if (hull.length == 1) {
      return new Rect(hull[0][0], hull[0][1], 0, 0, 1, 0);
    }
    Rect best = null;
    double bestArea = Double.POSITIVE_INFINITY;
    for (int i = 0; i < hull.length; i++) {
      long[] a = hull[i];
      long[] b = hull[(i + 1) % hull.length];
      double ex = b[0] - a[0];
      double ey = b[1] - a[1];
      double len = Math.hypot(ex, ey);
      if (len == 0) {
        continue;
      }
      double ux = ex / len;
      double uy = ey / len;
      double minU = Double.POSITIVE_INFINITY;
      double maxU = Double.NEGATIVE_INFINITY;
      double minV = Double.POSITIVE_INFINITY;
      double maxV = Double.NEGATIVE_INFINITY;
      for (long[] p : hull) {
        double u = p[0] * ux + p[1] * uy;
        double v = -p[0] * uy + p[1] * ux;
        minU = Math.min(minU, u);
        maxU = Math.max(maxU, u);
        minV = Math.min(minV, v);
        maxV = Math.max(maxV, v);
      }
      double area = (maxU - minU) * (maxV - minV);
      if (area < bestArea - 1e-9) {
        bestArea = area;
        double cu = (minU + maxU) / 2;
        double cv = (minV + maxV) / 2;
        best = new Rect(cu * ux - cv * uy, cu * uy + cv * ux, maxU - minU, maxV - minV, ux, uy);
      }
    }
    return best != null ? best : new Rect(hull[0][0], hull[0][1], 0, 0, 1, 0);
  }

  /** Andrew's monotone chain; collinear points dropped; counter-clockwise in image axes. */
  static long[][] convexHull(int[] xs, int[] ys, int n) {
    long[][] pts = new long[n][];
    for (int i = 0; i < n; i++) {
      pts[i] = new long[] {xs[i], ys[i]};
    }
    Arrays.sort(pts, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    long[][] hull = new long[2 * n][];
    int k = 0;
    for (int i = 0; i < n; i++) {
      while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) {
        k--;
      }
      hull[k++] = pts[i];
    }
    for (int i = n - 2, lower = k + 1; i >= 0; i--) {
      while (k >= lower && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) {
        k--;
      }
      hull[k++] = pts[i];
    }
    return Arrays.copyOf(hull, Math.max(1, k - 1));
  }

  private static long cross(long[] o, long[] a, long[] b) {
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  }

  /** {@code order_points_clockwise}: top left, top right, bottom right, bottom left. */
  Quad clockwise() {
    double[][] p = {{x(0), y(0)}, {x(1), y(1)}, {x(2), y(2)}, {x(3), y(3)}};
    Arrays.sort(p, (a, b) -> Double.compare(a[0], b[0]));
    double[][] left = {p[0], p[1]};
    double[][] right = {p[2], p[3]};
    Arrays.sort(left, (a, b) -> Double.compare(a[1], b[1]));
    Arrays.sort(right, (a, b) -> Double.compare(a[1], b[1]));
    return new Quad(new double[] {left[0][0], left[0][1], right[0][0], right[0][1], right[1][0], right[1][1],
        left[1][0], left[1][1]});
  }
}
