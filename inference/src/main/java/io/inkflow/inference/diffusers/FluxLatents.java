package io.inkflow.inference.diffusers;

/**
 * Flux's latent layout, as {@code FluxPipeline._pack_latents}, {@code _unpack_latents} and {@code
 * _prepare_latent_image_ids} compute it (diffusers {@code pipeline_flux.py}): 2x2 latent cells become
 * one token of 4C values, {@code packed[b, i * (w/2) + j, c*4 + di*2 + dj] = latents[b, c, 2i+di, 2j+dj]},
 * and token (i, j) has position id {@code [0, i, j]}. Data moves only: results are exact.
 */
public final class FluxLatents {
  private FluxLatents() {}

  /** Packs [batch, channels, h, w] (h and w even) into [batch, (h/2)(w/2), 4 channels]. */
  public static float[] pack(float[] latents, int batch, int channels, int h, int w) {
    checkEven(h, w);
    int hh = h / 2;
    int ww = w / 2;
    int width = channels * 4;
    float[] out = new float[latents.length];
    for (int b = 0; b < batch; b++) {
      int base = b * channels * h * w;
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < h; y++) {
          int src = base + (c * h + y) * w;
          int i = y >> 1;
          int di = y & 1;
          int dst = (b * hh * ww + i * ww) * width + c * 4 + di * 2;
          for (int x = 0; x < w; x += 2) {
            int token = dst + (x >> 1) * width;
            out[token] = latents[src + x];
            out[token + 1] = latents[src + x + 1];
          }
        }
      }
    }
    return out;
  }

  /** Unpacks [batch, (h/2)(w/2), 4 channels] into [batch, channels, h, w]. */
  public static float[] unpack(float[] packed, int batch, int channels, int h, int w) {
    checkEven(h, w);
    int hh = h / 2;
    int ww = w / 2;
    int width = channels * 4;
    float[] out = new float[packed.length];
    for (int b = 0; b < batch; b++) {
      int base = b * channels * h * w;
      for (int c = 0; c < channels; c++) {
        for (int y = 0; y < h; y++) {
          int dst = base + (c * h + y) * w;
          int src = (b * hh * ww + (y >> 1) * ww) * width + c * 4 + (y & 1) * 2;
          for (int x = 0; x < w; x += 2) {
            int token = src + (x >> 1) * width;
            out[dst + x] = packed[token];
            out[dst + x + 1] = packed[token + 1];
          }
        }
      }
    }
    return out;
  }

  /** The image tokens' position ids [(h/2)(w/2), 3]: {@code [0, i, j]} for token (i, j); no batch dimension. */
  public static float[] imageIds(int h, int w) {
    checkEven(h, w);
    int hh = h / 2;
    int ww = w / 2;
    float[] ids = new float[hh * ww * 3];
    for (int i = 0; i < hh; i++) {
      for (int j = 0; j < ww; j++) {
        int t = (i * ww + j) * 3;
        ids[t + 1] = i;
        ids[t + 2] = j;
      }
    }
    return ids;
  }

  private static void checkEven(int h, int w) {
    if (h % 2 != 0 || w % 2 != 0) {
      throw new IllegalArgumentException("expected even latent sides to pack 2x2, found " + h + "x" + w);
    }
  }
}
