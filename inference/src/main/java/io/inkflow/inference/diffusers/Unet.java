package io.inkflow.inference.diffusers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TensorSpec;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The UNet of a diffusers export, as Optimum's {@code UNetOnnxConfig} exports it: {@code sample}
 * [N, C, h, w], {@code timestep}, {@code encoder_hidden_states} [N, L, D] and, for SDXL, {@code
 * text_embeds} [N, P] and {@code time_ids} [N, 6] in; {@code out_sample} [N, C, h, w] out.
 *
 * <p>The timestep is a rank-0 float (float16 in fp16 exports) in current exports and a rank-1 int64
 * in older ones; both are read from the session. An int64 timestep is the schedule's value cast
 * toward zero, as diffusers' ONNX pipelines did. A UNet with a {@code timestep_cond} input (an
 * LCM-distilled one, which takes a guidance embedding instead of classifier-free guidance) is refused
 * at load.
 */
public final class Unet implements AutoCloseable {
  private static final Set<TensorType> FLOATS = Set.of(TensorType.FLOAT32, TensorType.FLOAT16);

  private final GraphSession graph;
  private final TensorType floatType;
  private final TensorSpec timestep;
  private final boolean sizeConditioned;

  private Unet(GraphSession graph, TensorType floatType, TensorSpec timestep, boolean sizeConditioned) {
    this.graph = graph;
    this.floatType = floatType;
    this.timestep = timestep;
    this.sizeConditioned = sizeConditioned;
  }

  /**
   * Loads {@code unet/model.onnx} of an export.
   *
   * @param sizeConditioned whether it must take SDXL's {@code text_embeds} and {@code time_ids}
   */
  public static Unet open(SessionFactory factory, String packId, Path exportDir, boolean sizeConditioned) {
    GraphSession graph = GraphSession.openDiscovered(factory, packId + "/unet",
        exportDir.resolve("unet").resolve("model.onnx"));
    try {
      TensorSpec sample = graph.requireInput("sample", FLOATS, Set.of(4));
      TensorSpec t = graph.requireInput("timestep", Set.of(TensorType.FLOAT32, TensorType.FLOAT16, TensorType.INT64),
          Set.of(0, 1));
      graph.requireInput("encoder_hidden_states", Set.of(sample.type()), Set.of(3));
      graph.requireOutput("out_sample", Set.of(sample.type()), Set.of(4));
      if (graph.spec().input("timestep_cond").isPresent()) {
        throw new PackException(graph.label() + ": the UNet takes 'timestep_cond' (an LCM-distilled UNet with a guidance"
            + " embedding); expected a UNet for classifier-free guidance. LCM UNets are not supported yet; LCM-LoRA"
            + " fused into a base UNet is (it has no timestep_cond input)");
      }
      if (sizeConditioned) {
        graph.requireInput("text_embeds", Set.of(sample.type()), Set.of(2));
        graph.requireInput("time_ids", Set.of(sample.type()), Set.of(2));
      } else if (graph.spec().input("time_ids").isPresent()) {
        throw new PackException(graph.label() + ": the UNet takes 'time_ids' (SDXL size conditioning); expected an SD 1.x/2.x"
            + " UNet for pipeline class StableDiffusionPipeline");
      }
      if (graph.spec().inputs().size() != (sizeConditioned ? 5 : 3)) {
        List<String> names = new ArrayList<>();
        graph.spec().inputs().forEach(i -> names.add(i.name()));
        throw new PackException(graph.label() + ": expected the inputs sample, timestep, encoder_hidden_states"
            + (sizeConditioned ? ", text_embeds, time_ids" : "") + ", found " + names);
      }
      return new Unet(graph, sample.type(), t, sizeConditioned);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** The element type of the UNet's float inputs and outputs. */
  public TensorType floatType() {
    return floatType;
  }

  /** A description of the timestep input, e.g. {@code float16 []} or {@code int64 [steps]}. */
  public String timestepInput() {
    return timestep.toString();
  }

  /**
   * Binds the inputs that stay constant while a batch is sampled, and the buffers reused at every
   * step (the latents' direct buffer and a pinned output), so a step allocates no native memory.
   *
   * @param shape the latents' shape [rows, C, h, w]
   * @param context text states [rows, length, dim]
   * @param textEmbeds SDXL's pooled embeddings [rows, pooledDim], or null
   * @param timeIds SDXL's size conditioning [rows, 6], or null
   */
  public Batch bind(long[] shape, float[] context, int length, int dim, float[] textEmbeds, int pooledDim,
      float[] timeIds) throws OrtException {
    return new Batch(shape, context, length, dim, textEmbeds, pooledDim, timeIds);
  }

  /** One batch being sampled; closing it releases its tensors. */
  public final class Batch implements AutoCloseable {
    private final long[] shape;
    private final Map<String, OnnxTensor> fixed = new HashMap<>();
    private final List<OnnxTensor> owned = new ArrayList<>();
    private final Tensors.PinnedOutput output;
    private final Tensors.ReusableInput latents;

    private Batch(long[] shape, float[] context, int length, int dim, float[] textEmbeds, int pooledDim,
        float[] timeIds) throws OrtException {
      this.shape = shape.clone();
      long rows = shape[0];
      OrtEnvironment env = graph.environment();
      try {
        fixed.put("encoder_hidden_states", own(Tensors.floats(env, context, new long[] {rows, length, dim}, floatType)));
        if (sizeConditioned) {
          fixed.put("text_embeds", own(Tensors.floats(env, textEmbeds, new long[] {rows, pooledDim}, floatType)));
          fixed.put("time_ids", own(Tensors.floats(env, timeIds, new long[] {rows, 6}, floatType)));
        }
        output = Tensors.allocate(env, shape, floatType);
        owned.add(output.tensor());
      } catch (OrtException | RuntimeException e) {
        close();
        throw e;
      }
      latents = new Tensors.ReusableInput(shape, floatType);
    }

    private OnnxTensor own(OnnxTensor tensor) {
      owned.add(tensor);
      return tensor;
    }

    /**
     * One UNet call over every row.
     *
     * @param sample [rows, C, h, w] (already scaled by the scheduler)
     * @param t the scheduler's timestep
     * @param out receives the prediction [rows, C, h, w]
     */
    public void predict(float[] sample, float t, float[] out) throws OrtException {
      OrtEnvironment env = graph.environment();
      try (OnnxTensor x = latents.wrap(env, sample);
          OnnxTensor time = timestepTensor(t)) {
        Map<String, OnnxTensorLike> inputs = new HashMap<>(fixed);
        inputs.put("sample", x);
        inputs.put("timestep", time);
        try (OrtSession.Result ignored = graph.run(inputs, Map.of("out_sample", output.tensor()))) {
          output.read(out);
        }
      }
    }

    @Override
    public void close() {
      for (int i = owned.size() - 1; i >= 0; i--) {
        owned.get(i).close();
      }
      owned.clear();
    }
  }

  private OnnxTensor timestepTensor(float t) throws OrtException {
    long[] shape = timestep.rank() == 0 ? new long[0] : new long[] {1};
    if (timestep.type() == TensorType.INT64) {
      return Tensors.longs(graph.environment(), new long[] {(long) t}, shape);
    }
    return Tensors.floats(graph.environment(), new float[] {t}, shape, timestep.type());
  }

  @Override
  public void close() {
    graph.close();
  }
}
