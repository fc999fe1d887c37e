package io.inkflow.inference.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Pillow's bicubic resampler piece by piece; {@code ClipImageProcessorTest} checks whole images against Pillow's
 * output.
 */
class BicubicResizeTest {

  @Test
  void fixedPointWeightsAreThoseOfPillow() {
    // Rows printed by the reference's integer re-implementation of Resample.c (index.json cross_checks).
    JsonNode checks = ClipPreprocessReference.index().get("cross_checks")
        .get("integer_reimplementation_of_pillow_bicubic");
    int rows = 0;
    for (Iterator<String> it = checks.fieldNames(); it.hasNext();) {
      String name = it.next();
      if (!name.startsWith("example_coeffs_")) {
        continue;
      }
      String[] sizes = name.substring("example_coeffs_".length(), name.indexOf(' ')).split("_to_");
      int in = Integer.parseInt(sizes[0]);
      int out = Integer.parseInt(sizes[1]);
      for (JsonNode row : checks.get(name)) {
        int index = (row.has("xx") ? row.get("xx") : row.get("yy")).asInt();
        BicubicResize.Weights w = new BicubicResize.Weights(in, out, index, 1);
        int taps = row.get("n").asInt();
        assertThat(w.bounds).as("%s output %d: start, taps", name, index)
            .containsExactly((row.has("xmin") ? row.get("xmin") : row.get("ymin")).asInt(), taps);
        int[] expected = new int[taps];
        for (int t = 0; t < taps; t++) {
          expected[t] = row.get("k").get(t).asInt();
        }
        assertThat(Arrays.copyOf(w.k, taps)).as("%s output %d", name, index).containsExactly(expected);
        rows++;
      }
    }
    assertThat(rows).isEqualTo(8);
  }

  @Test
  void theCubicIsKeysWithAMinusOneHalf() {
    assertThat(BicubicResize.cubic(0)).isEqualTo(1.0);
    assertThat(BicubicResize.cubic(1)).isEqualTo(0.0);
    assertThat(BicubicResize.cubic(-2)).isEqualTo(0.0);
    assertThat(BicubicResize.cubic(0.5)).isEqualTo(0.5625);
    assertThat(BicubicResize.cubic(-1.5)).isEqualTo(-0.0625);
  }

  @Test
  void aWindowIsTheSameBytesAsTheCropOfTheWholeImage() {
    Random random = new Random(7);
    RgbImage image = random(97, 61, random);
    int[][] sizes = {{40, 33}, {97, 20}, {30, 61}, {250, 180}, {97, 200}};
    for (int[] size : sizes) {
      RgbImage whole = BicubicResize.resize(image, size[0], size[1]);
      for (int i = 0; i < 5; i++) {
        int w = 1 + random.nextInt(size[0]);
        int h = 1 + random.nextInt(size[1]);
        int x0 = random.nextInt(size[0] - w + 1);
        int y0 = random.nextInt(size[1] - h + 1);
        byte[] window = new byte[w * h * 3];
        BicubicResize.resizeWindow(image, size[0], size[1], x0, y0, w, h, window);
        assertThat(window).as("%dx%d at (%d, %d) of %dx%d", w, h, x0, y0, size[0], size[1])
            .isEqualTo(crop(whole, x0, y0, w, h));
      }
    }
  }

  @Test
  void flatImagesStayFlatAndTheSameSizeIsTheSameImage() {
    byte[] rgb = new byte[31 * 17 * 3];
    for (int i = 0; i < rgb.length; i += 3) {
      rgb[i] = (byte) 255;
      rgb[i + 1] = 7;
      rgb[i + 2] = (byte) 128;
    }
    RgbImage flat = new RgbImage(31, 17, rgb);
    for (RgbImage resized : new RgbImage[] {BicubicResize.resize(flat, 5, 90), BicubicResize.resize(flat, 300, 3)}) {
      for (int i = 0; i < resized.rgb().length; i += 3) {
        assertThat(resized.rgb()[i] & 0xFF).isEqualTo(255);
        assertThat(resized.rgb()[i + 1]).isEqualTo((byte) 7);
        assertThat(resized.rgb()[i + 2] & 0xFF).isEqualTo(128);
      }
    }
    assertThat(BicubicResize.resize(flat, 31, 17)).isSameAs(flat);
  }

  @Test
  void refusesWindowsOutsideTheImage() {
    RgbImage image = random(10, 10, new Random(1));
    byte[] out = new byte[300];
    assertThatThrownBy(() -> BicubicResize.resizeWindow(image, 20, 20, 15, 0, 10, 10, out))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected a non-empty window inside 20x20, found 10x10 at (15, 0)");
    assertThatThrownBy(() -> BicubicResize.resizeWindow(image, 20, 20, 0, 0, 0, 10, out))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BicubicResize.resizeWindow(image, 20, 20, 0, 0, 11, 10, out))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("expected room for 330 bytes, found 300");
    assertThatThrownBy(() -> BicubicResize.resize(image, 0, 10)).isInstanceOf(IllegalArgumentException.class);
  }

  static RgbImage random(int width, int height, Random random) {
    byte[] rgb = new byte[width * height * 3];
    random.nextBytes(rgb);
    return new RgbImage(width, height, rgb);
  }

  static byte[] crop(RgbImage image, int x0, int y0, int w, int h) {
    byte[] out = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      System.arraycopy(image.rgb(), ((y0 + y) * image.width() + x0) * 3, out, y * w * 3, w * 3);
    }
    return out;
  }
}
