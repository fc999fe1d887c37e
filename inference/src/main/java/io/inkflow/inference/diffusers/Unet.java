package io.inkflow.inference.diffusers;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.platform.Fp16Conversions;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TensorSpec;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
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
   * Binds the inputs that stay constant while a batch is sampled.
   *
   * @param rows batch rows
   * @param context text states [rows, length, dim]
   * @param textEmbeds SDXL's pooled embeddings [rows, pooledDim], or null
   * @param timeIds SDXL's size conditioning [rows, 6], or null
   */
  public Batch bind(int rows, float[] context, int length, int dim, float[] textEmbeds, int pooledDim, float[] timeIds)
      throws OrtException {
    Map<String, OnnxTensor> fixed = new HashMap<>();
    try {
      fixed.put("encoder_hidden_states", Tensors.floats(graph.environment(), context, new long[] {rows, length, dim},
          floatType));
      if (sizeConditioned) {
        fixed.put("text_embeds", Tensors.floats(graph.environment(), textEmbeds, new long[] {rows, pooledDim}, floatType));
        fixed.put("time_ids", Tensors.floats(graph.environment(), timeIds, new long[] {rows, 6}, floatType));
      }
    } catch (OrtException | RuntimeException e) {
      fixed.values().forEach(OnnxTensor::close);
      throw e;
    }
    return new Batch(rows, fixed);
  }

  /** One batch being sampled; closing it releases its constant tensors. */
  public final class Batch implements AutoCloseable {
    private final int rows;
    private final Map<String, OnnxTensor> fixed;

    private Batch(int rows, Map<String, OnnxTensor> fixed) {
      this.rows = rows;
      this.fixed = fixed;
    }

    /**
     * One UNet call over every row.
     *
     * @param sample [rows, C, h, w] (already scaled by the scheduler)
     * @param shape its shape
     * @param t the scheduler's timestep
     * @param out receives the prediction [rows, C, h, w]
     */
    public void predict(float[] sample, long[] shape, float t, float[] out) throws OrtException {
      if (shape[0] != rows) {
        throw new IllegalArgumentException("expected " + rows + " rows, found " + shape[0]);
      }
      try (OnnxTensor x = Tensors.floats(graph.environment(), sample, shape, floatType);
          OnnxTensor time = timestepTensor(t)) {
        Map<String, OnnxTensorLike> inputs = new HashMap<>(fixed);
        inputs.put("sample", x);
        inputs.put("timestep", time);
        try (OrtSession.Result result = graph.run(inputs)) {
          OnnxTensor prediction = (OnnxTensor) result.get("out_sample").orElseThrow();
          Tensors.read(prediction, out);
        }
      }
    }

    @Override
    public void close() {
      fixed.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor timestepTensor(float t) throws OrtException {
    long[] shape = timestep.rank() == 0 ? new long[0] : new long[] {1};
    switch (timestep.type()) {
      case INT64: {
        LongBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder()).asLongBuffer();
        b.put((long) t).rewind();
        return OnnxTensor.createTensor(graph.environment(), b, shape);
      }
      case FLOAT16: {
        ShortBuffer b = ByteBuffer.allocateDirect(2).order(ByteOrder.nativeOrder()).asShortBuffer();
        b.put(Fp16Conversions.floatToFp16(t)).rewind();
        return OnnxTensor.createTensor(graph.environment(), b, shape, OnnxJavaType.FLOAT16);
      }
      default: {
        FloatBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(t).rewind();
        return OnnxTensor.createTensor(graph.environment(), b, shape);
      }
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
