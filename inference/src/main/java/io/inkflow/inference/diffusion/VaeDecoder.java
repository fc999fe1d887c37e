package io.inkflow.inference.diffusion;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.LatentSpec;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphContract;
import io.inkflow.inference.runtime.GraphContract.Port;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The VAE decoder stage: latents [N, C, h, w] -> RGB images.
 *
 * <p>Latents are first unscaled as diffusers does ({@code x / scalingFactor + shiftFactor}); the
 * graph's output [N, 3, H, W] in about [-1, 1] becomes 8-bit RGB by
 * {@code floor(clamp(v / 2 + 0.5, 0, 1) * 255 + 0.5)}.
 */
public final class VaeDecoder implements AutoCloseable {
  static final GraphContract CONTRACT = new GraphContract(PackManifest.VAE_DECODER,
      List.of(Port.floats("latents", 4)), List.of(Port.floats("image", 4)));

  private final GraphSession graph;
  private final LatentSpec latent;
  private final TensorType floatType;

  private VaeDecoder(GraphSession graph, LatentSpec latent, TensorType floatType) {
    this.graph = graph;
    this.latent = latent;
    this.floatType = floatType;
  }

  /** Loads and checks the pack's VAE decoder graph. */
  public static VaeDecoder open(SessionFactory factory, PackManifest pack) {
    return new VaeDecoder(GraphSession.open(factory, pack.id(), pack.dir(),
        pack.graph(PackManifest.VAE_DECODER), CONTRACT, pack.precision()),
        pack.latent(), pack.precision().floatType());
  }

  /**
   * Decodes {@code rows} latents of {@code latentHeight x latentWidth}.
   *
   * @param latents [rows, C, h, w], sampler output (not modified)
   */
  public List<RgbImage> decode(float[] latents, int rows, int latentHeight, int latentWidth) throws OrtException {
    float[] unscaled = new float[latents.length];
    float scale = latent.scalingFactor();
    float shift = latent.shiftFactor();
    for (int i = 0; i < latents.length; i++) {
      unscaled[i] = latents[i] / scale + shift;
    }
    long[] shape = {rows, latent.channels(), latentHeight, latentWidth};
    try (OnnxTensor input = Tensors.floats(graph.environment(), unscaled, shape, floatType);
        OrtSession.Result result = graph.run(Map.of("latents", input))) {
      OnnxTensor image = (OnnxTensor) result.get("image").orElseThrow();
      long[] outShape = image.getInfo().getShape();
      int height = Math.toIntExact(outShape[2]);
      int width = Math.toIntExact(outShape[3]);
      if (outShape[0] != rows || outShape[1] != 3) {
        throw new IllegalStateException(graph.label() + ": expected image [" + rows + ", 3, H, W], found "
            + Arrays.toString(outShape));
      }
      return toImages(Tensors.toFloats(image), rows, height, width);
    }
  }

  /** Decoder output [rows, 3, height, width] in about [-1, 1] as 8-bit RGB images. */
  public static List<RgbImage> toImages(float[] pixels, int rows, int height, int width) {
    List<RgbImage> out = new ArrayList<>(rows);
    int plane = height * width;
    for (int r = 0; r < rows; r++) {
      byte[] rgb = new byte[plane * 3];
      int base = r * 3 * plane;
      for (int p = 0; p < plane; p++) {
        rgb[3 * p] = toByte(pixels[base + p]);
        rgb[3 * p + 1] = toByte(pixels[base + plane + p]);
        rgb[3 * p + 2] = toByte(pixels[base + 2 * plane + p]);
      }
      out.add(new RgbImage(width, height, rgb));
    }
    return out;
  }

  /** One channel value in about [-1, 1] to an 8-bit level. */
  static byte toByte(float v) {
    float u = v * 0.5f + 0.5f;
    u = u < 0f ? 0f : (u > 1f ? 1f : u);
    return (byte) (int) (u * 255f + 0.5f);
  }

  @Override
  public void close() {
    graph.close();
  }
}
