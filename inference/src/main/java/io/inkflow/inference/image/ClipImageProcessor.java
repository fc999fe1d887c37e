package io.inkflow.inference.image;

import java.util.Arrays;

/**
 * CLIP's image preprocessing exactly as Hugging Face's {@code CLIPImageProcessor} (the PIL one: transformers
 * 4.x, {@code CLIPImageProcessorPil} in 5.x) computes {@code pixel_values}: resize with PIL's antialiased
 * bicubic ({@link BicubicResize}), centre crop, rescale, normalise, channels first. The output is bit-identical
 * to transformers' on the golden images of {@code testdata/reference/clip-preprocess}.
 *
 * <p>The steps, as transformers runs them:
 * <ol>
 *   <li>Resize (uint8): with {@code shortest_edge} s, the short side becomes s and the long side
 *       {@code int(s * long / short)}; with {@code height} and {@code width}, exactly that size.
 *   <li>Centre crop: the window starts at {@code floor((resized - crop) / 2)} on each axis; where it reaches past
 *       a smaller image, the missing pixels are 0 (before rescaling).
 *   <li>Rescale: {@code float32(float64(u8) * rescale_factor)}.
 *   <li>Normalise: {@code (x - float32(mean[c])) / float32(std[c])} in float32.
 * </ol>
 * Steps 3 and 4 make every output value a function of its channel and 8-bit level alone, so they are a
 * 3x256 table built once. Only the cropped window of the resized image is computed, so the cost follows
 * the input and the crop, not the (possibly huge) resized image. Instances are immutable and thread-safe.
 */
public final class ClipImageProcessor {
  private final PreprocessorConfig config;
  /** The value of level v in channel c at {@code c * 256 + v}. */
  private final float[] table = new float[3 * 256];

  public ClipImageProcessor(PreprocessorConfig config) {
    this.config = config;
    for (int c = 0; c < 3; c++) {
      float mean = config.imageMean().get(c).floatValue();
      float std = config.imageStd().get(c).floatValue();
      for (int v = 0; v < 256; v++) {
        // numpy: uint8 -> float64, times the Python float, cast to float32; without rescaling, uint8 -> float32.
        float x = config.doRescale() ? (float) (v * config.rescaleFactor()) : v;
        table[c * 256 + v] = config.doNormalize() ? (x - mean) / std : x;
      }
    }
  }

  /** {@code CLIPImageProcessor()} with its defaults (the ViT-L/14 and ViT-B settings). */
  public static ClipImageProcessor clipDefaults() {
    return new ClipImageProcessor(PreprocessorConfig.clipDefaults());
  }

  public PreprocessorConfig config() {
    return config;
  }

  /** The height of {@code pixel_values} for this image: the crop's, or the resized image's without cropping. */
  public int outputHeight(RgbImage image) {
    return config.doCenterCrop() ? config.cropHeight() : resizedHeight(image);
  }

  /** The width of {@code pixel_values} for this image: the crop's, or the resized image's without cropping. */
  public int outputWidth(RgbImage image) {
    return config.doCenterCrop() ? config.cropWidth() : resizedWidth(image);
  }

  /** The height after the resize step (the input's without resizing). */
  public int resizedHeight(RgbImage image) {
    return resizedSize(image)[0];
  }

  /** The width after the resize step (the input's without resizing). */
  public int resizedWidth(RgbImage image) {
    return resizedSize(image)[1];
  }

  /**
   * The image after the resize step alone, before the crop: transformers' {@code resize} output. Meant for
   * inspection and tests; {@link #preprocess} never builds it.
   */
  public RgbImage resize(RgbImage image) {
    int[] size = resizedSize(image);
    return config.doResize() ? BicubicResize.resize(image, size[1], size[0]) : image;
  }

  /** {@code pixel_values} of one image: float32 {@code [3, outputHeight, outputWidth]}, channels R, G, B. */
  public float[] preprocess(RgbImage image) {
    float[] out = new float[3 * outputHeight(image) * outputWidth(image)];
    preprocess(image, out, 0);
    return out;
  }

  /**
   * Writes {@code pixel_values} of one image into {@code out} from {@code offset} (one slot of a batch
   * tensor); nothing else of {@code out} is touched and the image is only read.
   */
  public void preprocess(RgbImage image, float[] out, int offset) {
    int[] size = resizedSize(image);
    int height = size[0];
    int width = size[1];
    int outHeight = config.doCenterCrop() ? config.cropHeight() : height;
    int outWidth = config.doCenterCrop() ? config.cropWidth() : width;
    int plane = outHeight * outWidth;
    if (offset < 0 || out.length - offset < 3L * plane) {
      throw new IllegalArgumentException("expected room for 3x" + outHeight + "x" + outWidth + " values from offset "
          + offset + ", found an array of " + out.length);
    }
    // transformers' center_crop: top = (h - crop_h) // 2 also where it pads (top_pad = ceil((crop_h - h) / 2)).
    int top = Math.floorDiv(height - outHeight, 2);
    int left = Math.floorDiv(width - outWidth, 2);
    // The part of the crop inside the resized image; the rest is level 0.
    int y0 = Math.max(top, 0);
    int y1 = Math.min(top + outHeight, height);
    int x0 = Math.max(left, 0);
    int x1 = Math.min(left + outWidth, width);

    byte[] pixels;
    int stride;
    int originX;
    int originY;
    if (config.doResize() && (width != image.width() || height != image.height())) {
      pixels = new byte[(y1 - y0) * (x1 - x0) * 3];
      BicubicResize.resizeWindow(image, width, height, x0, y0, x1 - x0, y1 - y0, pixels);
      stride = (x1 - x0) * 3;
      originX = x0;
      originY = y0;
    } else {
      pixels = image.rgb();
      stride = image.width() * 3;
      originX = 0;
      originY = 0;
    }
    for (int c = 0; c < 3; c++) {
      int tableOffset = c * 256;
      float zero = table[tableOffset];
      int o = offset + c * plane;
      for (int y = 0; y < outHeight; y++) {
        int sy = y + top;
        if (sy < y0 || sy >= y1) {
          Arrays.fill(out, o, o + outWidth, zero);
          o += outWidth;
          continue;
        }
        int row = (sy - originY) * stride + c - originX * 3;
        for (int x = 0; x < outWidth; x++, o++) {
          int sx = x + left;
          out[o] = sx < x0 || sx >= x1 ? zero : table[tableOffset + (pixels[row + sx * 3] & 0xFF)];
        }
      }
    }
  }

  /** The value {@code pixel_values} holds for 8-bit level {@code level} of channel {@code channel}. */
  float value(int channel, int level) {
    return table[channel * 256 + level];
  }

  /**
   * Height and width after the resize step: transformers' {@code get_resize_output_image_size} with
   * {@code default_to_square=False} for {@code shortest_edge} (Python's {@code int(s * long / short)}: the
   * quotient rounded to a double, then truncated), or the given height and width.
   */
  private int[] resizedSize(RgbImage image) {
    int w = image.width();
    int h = image.height();
    if (!config.doResize()) {
      return new int[] {h, w};
    }
    PreprocessorConfig.Size size = config.size();
    if (!size.keepsAspect()) {
      return new int[] {size.height(), size.width()};
    }
    int edge = size.shortestEdge();
    int shortSide = Math.min(w, h);
    int longSide = Math.max(w, h);
    double scaledLong = (double) ((long) edge * longSide) / shortSide;
    if (scaledLong >= Integer.MAX_VALUE) {
      throw new IllegalArgumentException("expected an image whose long side resizes to fewer than 2^31 pixels, found "
          + w + "x" + h + " for shortest_edge " + edge);
    }
    int newLong = (int) scaledLong;
    return w <= h ? new int[] {newLong, edge} : new int[] {edge, newLong};
  }
}
