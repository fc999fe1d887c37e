package io.inkflow.inference.diffusers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.diffusion.VaeDecoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.DiffusersExport;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import io.inkflow.inference.runtime.VaeNanException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The VAE decoder of a diffusers export ({@code vae_decoder/model.onnx}: {@code latent_sample} [N, C,
 * h, w] in, {@code sample} [N, 3, 8h, 8w] out), with the unscaling diffusers does before it: {@code
 * z / scaling_factor} (float32 division), or for an SDXL VAE with {@code latents_mean} and {@code
 * latents_std}, {@code z * std / scaling_factor + mean}.
 *
 * <p>A NaN or infinite output value ends the batch with {@link VaeNanException}: an fp16 VAE (SDXL's
 * overflows) cannot be upcast here, since the graph's element type is fixed at export.
 */
public final class ExportVaeDecoder implements AutoCloseable {
  private static final Set<TensorType> FLOATS = Set.of(TensorType.FLOAT32, TensorType.FLOAT16);

  private final GraphSession graph;
  private final DiffusersExport.VaeConfig config;
  private final TensorType floatType;

  private ExportVaeDecoder(GraphSession graph, DiffusersExport.VaeConfig config, TensorType floatType) {
    this.graph = graph;
    this.config = config;
    this.floatType = floatType;
  }

  /** Loads {@code vae_decoder/model.onnx} of an export. */
  public static ExportVaeDecoder open(SessionFactory factory, String packId, Path exportDir,
      DiffusersExport.VaeConfig config) {
    GraphSession graph = GraphSession.openDiscovered(factory, packId + "/vae_decoder",
        exportDir.resolve("vae_decoder").resolve("model.onnx"));
    try {
      var input = graph.requireInput("latent_sample", FLOATS, Set.of(4));
      graph.requireOutput("sample", FLOATS, Set.of(4));
      if (input.shape().get(1).isFixed() && input.shape().get(1).size() != config.latentChannels()) {
        throw new PackException(graph.label() + ": expected latent_sample with " + config.latentChannels()
            + " channels (vae_decoder/config.json latent_channels), found " + input);
      }
      return new ExportVaeDecoder(graph, config, input.type());
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** The element type the graph decodes in. */
  public TensorType floatType() {
    return floatType;
  }

  /** Latents as the VAE takes them: unscaled as diffusers' pipelines do before {@code vae.decode}. */
  public float[] unscale(float[] latents, int rows, int latentHeight, int latentWidth) {
    float[] out = new float[latents.length];
    float scale = config.scalingFactor();
    int channels = config.latentChannels();
    int plane = latentHeight * latentWidth;
    boolean meanStd = config.latentsMean().length == channels && config.latentsStd().length == channels;
    for (int i = 0; i < latents.length; i++) {
      if (meanStd) {
        int c = (i / plane) % channels;
        out[i] = latents[i] * config.latentsStd()[c] / scale + config.latentsMean()[c];
      } else {
        out[i] = latents[i] / scale + config.shiftFactor();
      }
    }
    return out;
  }

  /** Decodes unscaled latents to images in about [-1, 1], [rows, 3, H, W]. */
  public float[] decodeRaw(float[] unscaled, int rows, int latentHeight, int latentWidth, int[] outSize)
      throws OrtException {
    long[] shape = {rows, config.latentChannels(), latentHeight, latentWidth};
    try (OnnxTensor input = Tensors.floats(graph.environment(), unscaled, shape, floatType);
        OrtSession.Result result = graph.run(Map.of("latent_sample", input))) {
      OnnxTensor image = (OnnxTensor) result.get("sample").orElseThrow();
      long[] s = image.getInfo().getShape();
      if (s[0] != rows || s[1] != 3) {
        throw new PackException(graph.label() + ": expected sample [" + rows + ", 3, H, W], found " + Arrays.toString(s));
      }
      outSize[0] = Math.toIntExact(s[2]);
      outSize[1] = Math.toIntExact(s[3]);
      float[] pixels = Tensors.toFloats(image);
      List<Integer> bad = new ArrayList<>();
      int perRow = pixels.length / rows;
      for (int r = 0; r < rows; r++) {
        for (int i = r * perRow; i < (r + 1) * perRow; i++) {
          if (!Float.isFinite(pixels[i])) {
            bad.add(r);
            break;
          }
        }
      }
      if (!bad.isEmpty()) {
        throw new VaeNanException(graph.label() + ": the " + floatType + " VAE decoded NaN or infinite values for row(s) "
            + bad + " of " + rows + (floatType == TensorType.FLOAT16 ? " (an fp16 VAE overflows; export the VAE in fp32)" : ""));
      }
      return pixels;
    }
  }

  /** Decodes latents (sampler output, not modified) to 8-bit RGB images. */
  public List<RgbImage> decode(float[] latents, int rows, int latentHeight, int latentWidth) throws OrtException {
    int[] size = new int[2];
    float[] pixels = decodeRaw(unscale(latents, rows, latentHeight, latentWidth), rows, latentHeight, latentWidth, size);
    return VaeDecoder.toImages(pixels, rows, size[0], size[1]);
  }

  @Override
  public void close() {
    graph.close();
  }
}
