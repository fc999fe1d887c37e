package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.pack.LatentSpec;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Scaled 2D RoPE position ids against values worked out by hand (base 512 px, 16 px per patch). */
class ImagePositionsTest {
  private static final LatentSpec LATENT = new LatentSpec(4, 8, 2, 1f, 0f);
  private static final int BASE = 512; // a 32 x 32 patch grid, centre 16

  /** (row id, col id) of the patch at grid (i, j) for width x height. */
  private static float[] at(int width, int height, int i, int j) {
    float[] ids = ImagePositions.compute(width, height, LATENT, BASE);
    int cols = width / 16;
    int t = i * cols + j;
    return new float[] {ids[2 * t], ids[2 * t + 1]};
  }

  @Test
  void handComputedTable() {
    // width x height, patch (i, j) -> expected (row, col)
    Object[][] table = {
        // 512x512, 32x32 grid, s = 1: id = i + 0.5
        {512, 512, 0, 0, 0.5f, 0.5f},
        {512, 512, 15, 16, 15.5f, 16.5f},
        {512, 512, 31, 31, 31.5f, 31.5f},
        // 256x256, 16x16 grid, s = 1: id = 16 + (i + 0.5 - 8) = i + 8.5
        {256, 256, 0, 0, 8.5f, 8.5f},
        {256, 256, 7, 8, 15.5f, 16.5f},
        {256, 256, 15, 15, 23.5f, 23.5f},
        // 384x256: 16 rows (i + 8.5), 24 cols (16 + j + 0.5 - 12 = j + 4.5)
        {384, 256, 0, 0, 8.5f, 4.5f},
        {384, 256, 0, 23, 8.5f, 27.5f},
        {384, 256, 7, 11, 15.5f, 15.5f},
        // 256x384: 24 rows (i + 4.5), 16 cols (j + 8.5)
        {256, 384, 0, 0, 4.5f, 8.5f},
        {256, 384, 23, 15, 27.5f, 23.5f},
        {256, 384, 12, 8, 16.5f, 16.5f},
        // 768x512: 32 rows x 48 cols, s = 32 / 48 = 2/3:
        //   row(0) = 16 + (0.5 - 16) * 2/3 = 5.6667, col(0) = 16 + (0.5 - 24) * 2/3 = 0.3333,
        //   col(47) = 16 + 23.5 * 2/3 = 31.6667, row(15) = 16 - 0.5 * 2/3 = 15.6667
        {768, 512, 0, 0, 5.666667f, 0.333333f},
        {768, 512, 0, 47, 5.666667f, 31.666667f},
        {768, 512, 15, 24, 15.666667f, 16.333333f},
    };
    for (Object[] row : table) {
      float[] ids = at((int) row[0], (int) row[1], (int) row[2], (int) row[3]);
      String what = row[0] + "x" + row[1] + " patch (" + row[2] + ", " + row[3] + ")";
      assertThat(ids[0]).as(what + " row").isCloseTo((float) row[4], within(1e-5f));
      assertThat(ids[1]).as(what + " col").isCloseTo((float) row[5], within(1e-5f));
    }
  }

  @Test
  void centralPatchesKeepTheirIdsAcrossBucketsUpToTheBase() {
    // The 2 x 2 central patches of every bucket up to 512 px are (15.5 | 16.5) x (15.5 | 16.5).
    int[][] sizes = {{256, 256}, {384, 256}, {256, 384}, {384, 384}, {512, 512}, {512, 384}, {384, 512}};
    for (int[] size : sizes) {
      int rows = size[1] / 16;
      int cols = size[0] / 16;
      assertThat(at(size[0], size[1], rows / 2 - 1, cols / 2 - 1)).containsExactly(15.5f, 15.5f);
      assertThat(at(size[0], size[1], rows / 2, cols / 2)).containsExactly(16.5f, 16.5f);
    }
  }

  @Test
  void idsAboveTheBaseAreScaledIntoTheTrainedRange() {
    float[] ids = ImagePositions.compute(768, 768, LATENT, BASE);
    float min = Float.MAX_VALUE;
    float max = -Float.MAX_VALUE;
    for (float v : ids) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assertThat(min).isGreaterThan(0f);
    assertThat(max).isLessThan(32f);
    assertThat(ids).hasSize(48 * 48 * 2);
  }

  @Test
  void matchesThePythonGenerator() {
    Golden golden = Golden.of(TestPacks.mmdit());
    Iterator<Map.Entry<String, JsonNode>> it = golden.index().get("imagePositions").fields();
    int checked = 0;
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String[] wh = e.getKey().split("x");
      float[] expected = golden.tensor(e.getValue()).floats();
      assertThat(ImagePositions.compute(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]), LATENT, BASE))
          .as(e.getKey()).containsExactly(expected);
      checked++;
    }
    assertThat(checked).isEqualTo(5);
  }
}
