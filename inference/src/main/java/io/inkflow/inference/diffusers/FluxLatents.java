package io.inkflow.inference.diffusers;

/**
 * Flux's latent layout, as {@code FluxPipeline._pack_latents}, {@code _unpack_latents} and {@code
 * _prepare_latent_image_ids} compute it (diffusers {@code pipeline_flux.py}): 2x2 latent cells become
 * one token of 4C values, {@code packed[b, i * (w/2) + j, c*4 + di*2 + dj] = latents[b, c, 2i+di, 2j+dj]},
 * and token (i, j) has position id {@code [0, i, j]}. Data moves only: results are exact.
 */
public final class FluxLatents {
  private FluxLatents() {}

  /**
   * Packs [batch, channels, h, w] (h and w even) into [batch, (h/2)(w/2), 4 channels]. One row of
   * tokens at a time, every channel of it, so the row's tokens stay in cache while they fill.
   */
  public static float[] pack(float[] latents, int batch, int channels, int h, int w) {
    float[] out = new float[latents.length];
    pack(latents, batch, channels, h, w, out);
    return out;
  }

  /** {@link #pack(float[], int, int, int, int)} into {@code out}, the same length as {@code latents}. */
  public static void pack(float[] latents, int batch, int channels, int h, int w, float[] out) {
    checkEven(h, w);
    int hh = h / 2;
    int ww = w / 2;
    int width = channels * 4;
    for (int b = 0; b < batch; b++) {
      int base = b * channels * h * w;
      for (int i = 0; i < hh; i++) {
        int tokens = (b * hh * ww + i * ww) * width;
        for (int c = 0; c < channels; c++) {
          for (int di = 0; di < 2; di++) {
            int src = base + (c * h + 2 * i + di) * w;
            int dst = tokens + c * 4 + di * 2;
            for (int x = 0; x < w; x += 2) {
              int token = dst + (x >> 1) * width;
              out[token] = latents[src + x];
              out[token + 1] = latents[src + x + 1];
            }
          }
        }
      }
    }
  }

  /** Unpacks [batch, (h/2)(w/2), 4 channels] into [batch, channels, h, w], one row of tokens at a time. */
  public static float[] unpack(float[] packed, int batch, int channels, int h, int w) {
    float[] out = new float[packed.length];
    unpack(packed, batch, channels, h, w, out);
    return out;
  }

  /** {@link #unpack(float[], int, int, int, int)} into {@code out}, the same length as {@code packed}. */
  public static void unpack(float[] packed, int batch, int channels, int h, int w, float[] out) {
    checkEven(h, w);
    int hh = h / 2;
    int ww = w / 2;
    int width = channels * 4;
    for (int b = 0; b < batch; b++) {
      int base = b * channels * h * w;
      for (int i = 0; i < hh; i++) {
        int tokens = (b * hh * ww + i * ww) * width;
        for (int c = 0; c < channels; c++) {
          int top = base + (c * h + 2 * i) * w;
          int bottom = top + w;
          int src = tokens + c * 4;
          for (int j = 0; j < ww; j++) {
            int t = src + j * width;
            out[top + 2 * j] = packed[t];
            out[top + 2 * j + 1] = packed[t + 1];
            out[bottom + 2 * j] = packed[t + 2];
            out[bottom + 2 * j + 1] = packed[t + 3];
          }
        }
      }
    }
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
