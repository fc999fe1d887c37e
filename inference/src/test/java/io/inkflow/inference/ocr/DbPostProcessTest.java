package io.inkflow.inference.ocr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The DB post-process and its geometry on maps and point sets whose answers are known. */
class DbPostProcessTest {

  @Test
  void minAreaRectOfAnAxisAlignedBlockSpansItsPixelCentres() {
    int[] xs = new int[200];
    int[] ys = new int[200];
    int n = 0;
    for (int y = 5; y < 15; y++) {
      for (int x = 10; x < 30; x++) {
        xs[n] = x;
        ys[n] = y;
        n++;
      }
    }
    Quad.Rect r = Quad.minAreaRect(xs, ys, n);
    assertThat(Math.max(r.width(), r.height())).isCloseTo(19, within(1e-9));
    assertThat(r.shortSide()).isCloseTo(9, within(1e-9));
    assertThat(r.cx()).isCloseTo(19.5, within(1e-9));
    assertThat(r.cy()).isCloseTo(9.5, within(1e-9));
    Quad box = r.miniBox();
    // get_mini_boxes: top left, top right, bottom right, bottom left.
    assertThat(box.xy).containsExactly(new double[] {10, 5, 29, 5, 29, 14, 10, 14}, within(1e-9));
  }

  @Test
  void minAreaRectFindsARotatedRectangle() {
    double angle = Math.toRadians(20);
    int[] xs = new int[4];
    int[] ys = new int[4];
    double[][] corners = {{0, 0}, {100, 0}, {100, 30}, {0, 30}};
    for (int i = 0; i < 4; i++) {
      xs[i] = (int) Math.round(200 + corners[i][0] * Math.cos(angle) - corners[i][1] * Math.sin(angle));
      ys[i] = (int) Math.round(50 + corners[i][0] * Math.sin(angle) + corners[i][1] * Math.cos(angle));
    }
    Quad.Rect r = Quad.minAreaRect(xs, ys, 4);
    assertThat(Math.max(r.width(), r.height())).isCloseTo(100, within(1.0));
    assertThat(r.shortSide()).isCloseTo(30, within(1.0));
  }

  @Test
  void degeneratePointSetsGiveZeroSides() {
    assertThat(Quad.minAreaRect(new int[] {3}, new int[] {4}, 1).shortSide()).isZero();
    assertThat(Quad.minAreaRect(new int[] {3, 3}, new int[] {4, 4}, 2).shortSide()).isZero();
    assertThat(Quad.minAreaRect(new int[] {0, 5, 10}, new int[] {0, 0, 0}, 3).shortSide()).isZero();
  }

  @Test
  void aConfidentRegionIsUnclippedByAreaTimesRatioOverPerimeterAndScaled() {
    int w = 64;
    int h = 32;
    float[] prob = new float[w * h];
    for (int y = 10; y < 20; y++) {
      for (int x = 8; x < 48; x++) {
        prob[y * w + x] = 0.9f;
      }
    }
    List<DbPostProcess.Box> boxes = DbPostProcess.boxes(prob, w, h, 2 * w, 2 * h);
    assertThat(boxes).hasSize(1);
    DbPostProcess.Box box = boxes.get(0);
    assertThat(box.score()).isCloseTo(0.9, within(1e-6));
    // The min-area box is 39 x 9: d = 39 * 9 * 1.5 / (2 * 48) = 5.484; grown 50 x 20, centred at (27.5, 14.5).
    double d = 39 * 9 * 1.5 / 96;
    Quad q = box.quad();
    assertThat(q.x(0)).isEqualTo(Math.rint((8 - d) * 2));
    assertThat(q.y(0)).isEqualTo(Math.rint((10 - d) * 2));
    assertThat(q.x(2)).isEqualTo(Math.rint((47 + d) * 2));
    assertThat(q.y(2)).isEqualTo(Math.rint((19 + d) * 2));
  }

  @Test
  void weakThinAndEmptyRegionsAreDropped() {
    int w = 40;
    int h = 40;
    float[] prob = new float[w * h];
    for (int x = 2; x < 38; x++) {
      prob[5 * w + x] = 0.95f; // one pixel tall: short side 0
    }
    for (int y = 20; y < 30; y++) {
      for (int x = 5; x < 35; x++) {
        prob[y * w + x] = 0.45f; // above the 0.3 threshold, under the 0.6 box score
      }
    }
    assertThat(DbPostProcess.boxes(prob, w, h, w, h)).isEmpty();
    assertThat(DbPostProcess.boxes(new float[w * h], w, h, w, h)).isEmpty();
  }

  @Test
  void readingOrderIsRowsTopToBottomThenLeftToRight() {
    Quad right = new Quad(new double[] {100, 12, 150, 12, 150, 30, 100, 30});
    Quad left = new Quad(new double[] {10, 18, 60, 18, 60, 35, 10, 35});
    Quad below = new Quad(new double[] {5, 60, 50, 60, 50, 80, 5, 80});
    assertThat(PpOcr.readingOrder(List.of(below, right, left))).containsExactly(left, right, below);
    // The halves of a large line rotated by a few degrees: the right one starts 20 px higher, one row still.
    Quad leftHalf = new Quad(new double[] {20, 100, 300, 90, 302, 160, 22, 170});
    Quad rightHalf = new Quad(new double[] {340, 80, 700, 66, 702, 136, 342, 150});
    assertThat(PpOcr.readingOrder(List.of(rightHalf, leftHalf))).containsExactly(leftHalf, rightHalf);
  }

  @Test
  void detectionSizeKeepsTheLongerSideAtMost960InMultiplesOf32() {
    assertThat(PpOcr.detectionSize(1920, 1080)).containsExactly(960, 544);
    assertThat(PpOcr.detectionSize(100, 20)).containsExactly(96, 32);
    assertThat(PpOcr.detectionSize(1, 1)).containsExactly(32, 32);
  }

  @Test
  void homographyMapsTheCornersAndCropsComeOutUpright() {
    double[] to = {10, 20, 110, 25, 108, 60, 12, 55};
    double[] m = OcrImages.homography(new double[] {0, 0, 100, 0, 100, 40, 0, 40}, to);
    double[][] from = {{0, 0}, {100, 0}, {100, 40}, {0, 40}};
    for (int i = 0; i < 4; i++) {
      double z = m[6] * from[i][0] + m[7] * from[i][1] + m[8];
      assertThat((m[0] * from[i][0] + m[1] * from[i][1] + m[2]) / z).isCloseTo(to[2 * i], within(1e-9));
      assertThat((m[3] * from[i][0] + m[4] * from[i][1] + m[5]) / z).isCloseTo(to[2 * i + 1], within(1e-9));
    }
  }
}
