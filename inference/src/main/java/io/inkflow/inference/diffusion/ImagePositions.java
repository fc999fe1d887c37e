package io.inkflow.inference.diffusion;

import io.inkflow.inference.pack.LatentSpec;

/**
 * Position ids of the image tokens for the transformer's scaled 2D RoPE.
 *
 * <p>Patch (i, j) of an R x C patch grid gets
 * <pre>
 *   row = B/2 + (i + 0.5 - R/2) * s
 *   col = B/2 + (j + 0.5 - C/2) * s      with s = min(1, B / max(R, C))
 * </pre>
 * where B is the patch grid side at the pack's base resolution. Ids are centred on the base grid's
 * centre, so up to the base resolution (s = 1) the central patches keep their ids in every bucket
 * and a smaller or non-square bucket sees a centred window of the ids the model knows; above it,
 * ids are scaled towards the centre so they stay within the trained range. Tokens are in row-major
 * patch order, matching the transformer's patchify.
 */
public final class ImagePositions {
  private ImagePositions() {}

  /** [rows * cols, 2] (row id, col id) as a flat array, for a width x height image. */
  public static float[] compute(int width, int height, LatentSpec latent, int baseResolution) {
    int unit = latent.pixelsPerPatch();
    if (width % unit != 0 || height % unit != 0) {
      throw new IllegalArgumentException("expected sides that are multiples of " + unit + ", found "
          + width + "x" + height);
    }
    int rows = height / unit;
    int cols = width / unit;
    int base = baseResolution / unit;
    double scale = Math.min(1.0, (double) base / Math.max(rows, cols));
    double centre = base / 2.0;
    float[] out = new float[rows * cols * 2];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        int t = i * cols + j;
        out[2 * t] = (float) (centre + (i + 0.5 - rows / 2.0) * scale);
        out[2 * t + 1] = (float) (centre + (j + 0.5 - cols / 2.0) * scale);
      }
    }
    return out;
  }
}
