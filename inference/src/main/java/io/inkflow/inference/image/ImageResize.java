package io.inkflow.inference.image;

/**
 * Area (box) resizing with PyTorch's {@code adaptive_avg_pool2d} semantics: output cell i covers
 * input indices {@code [floor(i * in / out), ceil((i + 1) * in / out))}, averaged. Reward packs are
 * trained with that function, so scoring resizes exactly as training did.
 */
public final class ImageResize {
  private ImageResize() {}

  /**
   * Resizes to {@code size x size} (aspect not kept) and returns planar RGB [3, size, size] with
   * levels scaled to [0, 1].
   */
  public static float[] areaToPlanar(RgbImage image, int size) {
    int w = image.width();
    int h = image.height();
    byte[] rgb = image.rgb();
    float[] out = new float[3 * size * size];
    for (int oy = 0; oy < size; oy++) {
      int y0 = (int) Math.floorDiv((long) oy * h, size);
      int y1 = (int) -Math.floorDiv(-(long) (oy + 1) * h, size);
      for (int ox = 0; ox < size; ox++) {
        int x0 = (int) Math.floorDiv((long) ox * w, size);
        int x1 = (int) -Math.floorDiv(-(long) (ox + 1) * w, size);
        float r = 0f;
        float g = 0f;
        float b = 0f;
        for (int y = y0; y < y1; y++) {
          int p = (y * w + x0) * 3;
          for (int x = x0; x < x1; x++, p += 3) {
            r += (rgb[p] & 0xFF) / 255f;
            g += (rgb[p + 1] & 0xFF) / 255f;
            b += (rgb[p + 2] & 0xFF) / 255f;
          }
        }
        float count = (y1 - y0) * (x1 - x0);
        int o = oy * size + ox;
        out[o] = r / count;
        out[size * size + o] = g / count;
        out[2 * size * size + o] = b / count;
      }
    }
    return out;
  }
}
