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
   * tokens at a time, channel by channel: the two latent rows of a channel are read in order, and each
   * cell's two pairs land side by side in its token, so the row's tokens stay in cache while they fill.
   */
  public static float[] pack(float[] latents, int batch, int channels, int h, int w) {
    float[] out = new float[latents.length];
    pack(latents, batch, channels, h, w, out);
    return out;
  }

  /** {@link #pack(float[], int, int, int, int)} into {@code out}, the same length as {@code latents}. */
  public static void pack(float[] latents, int batch, int channels, int h, int w, float[] out) {
    checkShape(latents, out, batch, channels, h, w);
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
          FloatPairs.scatter(latents, top, out, tokens + c * 4, ww, width);
          FloatPairs.scatter(latents, bottom, out, tokens + c * 4 + 2, ww, width);
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
    checkShape(packed, out, batch, channels, h, w);
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
          FloatPairs.gather(packed, tokens + c * 4, width, out, top, ww);
          FloatPairs.gather(packed, tokens + c * 4 + 2, width, out, bottom, ww);
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

  /**
   * Every index the loops touch lies in both arrays: they hold exactly batch x channels x h x w values
   * (the pair moves check no bounds of their own).
   */
  private static void checkShape(float[] from, float[] to, int batch, int channels, int h, int w) {
    checkEven(h, w);
    if (batch < 0 || channels < 0 || h < 0 || w < 0) {
      throw new IllegalArgumentException("expected non-negative sizes, found " + batch + "x" + channels + "x" + h + "x" + w);
    }
    long n = (long) batch * channels * h * w;
    if (from.length != n || to.length != n) {
      throw new IllegalArgumentException("expected " + n + " values (" + batch + "x" + channels + "x" + h + "x" + w
          + ") in and out, found " + from.length + " and " + to.length);
    }
  }
}
