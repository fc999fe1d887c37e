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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The MMDiT transformer of an SD3 or Flux export, as Optimum's transformer export configs give it:
 * {@code hidden_states} (SD3: latents [N, C, h, w]; Flux: packed tokens [N, T, 64]), {@code
 * encoder_hidden_states} [N, L, D], {@code pooled_projections} [N, P], {@code timestep} [N]; Flux adds
 * {@code img_ids} and {@code txt_ids} ([T, 3] in current exports, [N, T, 3] in older ones, read from the
 * session) and, for dev, {@code guidance} [N]. Output {@code out_hidden_states}, shaped as its input.
 */
public final class FlowTransformer implements AutoCloseable {
  private static final Set<TensorType> FLOATS = Set.of(TensorType.FLOAT32, TensorType.FLOAT16);

  private final GraphSession graph;
  private final TensorType floatType;
  private final boolean packed;
  private final int idsRank;
  private final TensorType idsType;
  private final boolean guidanceInput;

  private FlowTransformer(GraphSession graph, TensorType floatType, boolean packed, int idsRank, TensorType idsType,
      boolean guidanceInput) {
    this.graph = graph;
    this.floatType = floatType;
    this.packed = packed;
    this.idsRank = idsRank;
    this.idsType = idsType;
    this.guidanceInput = guidanceInput;
  }

  /**
   * Loads {@code transformer/model.onnx} of an export.
   *
   * @param flux whether it is Flux's (packed tokens, position ids)
   */
  public static FlowTransformer open(SessionFactory factory, String packId, Path exportDir, boolean flux) {
    GraphSession graph = GraphSession.openDiscovered(factory, packId + "/transformer",
        exportDir.resolve("transformer").resolve("model.onnx"));
    try {
      TensorSpec hidden = graph.requireInput("hidden_states", FLOATS, Set.of(flux ? 3 : 4));
      Set<TensorType> same = Set.of(hidden.type());
      graph.requireInput("encoder_hidden_states", same, Set.of(3));
      graph.requireInput("pooled_projections", same, Set.of(2));
      graph.requireInput("timestep", same, Set.of(1));
      graph.requireOutput("out_hidden_states", same, Set.of(flux ? 3 : 4));
      int idsRank = 0;
      TensorType idsType = null;
      boolean guidance = false;
      List<String> expected = new ArrayList<>(List.of("hidden_states", "encoder_hidden_states", "pooled_projections",
          "timestep"));
      if (flux) {
        // Optimum traces the ids as int64; diffusers passes floats: either is accepted.
        TensorSpec img = graph.requireInput("img_ids", Set.of(TensorType.INT64, hidden.type()), Set.of(2, 3));
        idsRank = img.rank();
        idsType = img.type();
        graph.requireInput("txt_ids", Set.of(idsType), Set.of(idsRank));
        expected.addAll(List.of("img_ids", "txt_ids"));
        if (graph.spec().input("guidance").isPresent()) {
          graph.requireInput("guidance", same, Set.of(1));
          guidance = true;
          expected.add("guidance");
        }
      }
      if (graph.spec().inputs().size() != expected.size()) {
        List<String> names = new ArrayList<>();
        graph.spec().inputs().forEach(i -> names.add(i.name()));
        throw new PackException(graph.label() + ": expected the inputs " + expected + ", found " + names);
      }
      return new FlowTransformer(graph, hidden.type(), flux, idsRank, idsType, guidance);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** The element type of its float inputs and outputs. */
  public TensorType floatType() {
    return floatType;
  }

  /** Whether it takes Flux dev's guidance input. */
  public boolean takesGuidance() {
    return guidanceInput;
  }

  /**
   * Binds what stays constant while a batch is sampled.
   *
   * @param shape the hidden states' shape: [rows, C, h, w] (SD3) or [rows, T, 64] (Flux)
   * @param context text states [rows, length, dim]
   * @param pooled pooled text vectors [rows, pooledDim]
   * @param imgIds Flux's image position ids [T, 3], else null
   * @param txtIds Flux's text position ids [length, 3], else null
   * @param guidance Flux dev's per-row guidance [rows], else null
   */
  public Batch bind(long[] shape, float[] context, int length, int dim, float[] pooled, int pooledDim, float[] imgIds,
      float[] txtIds, float[] guidance) throws OrtException {
    return new Batch(shape, context, length, dim, pooled, pooledDim, imgIds, txtIds, guidance);
  }

  /** One batch being sampled; closing it releases its tensors. */
  public final class Batch implements AutoCloseable {
    private final long[] shape;
    private final Map<String, OnnxTensor> fixed = new HashMap<>();
    private final List<OnnxTensor> owned = new ArrayList<>();
    private final Tensors.PinnedOutput output;
    private final Tensors.ReusableInput hidden;
    private final float[] timesteps;

    private Batch(long[] shape, float[] context, int length, int dim, float[] pooled, int pooledDim, float[] imgIds,
        float[] txtIds, float[] guidance) throws OrtException {
      this.shape = shape.clone();
      long rows = shape[0];
      this.timesteps = new float[(int) rows];
      OrtEnvironment env = graph.environment();
      try {
        fixed.put("encoder_hidden_states", own(Tensors.floats(env, context, new long[] {rows, length, dim}, floatType)));
        fixed.put("pooled_projections", own(Tensors.floats(env, pooled, new long[] {rows, pooledDim}, floatType)));
        if (packed) {
          fixed.put("img_ids", own(ids(env, imgIds, rows)));
          fixed.put("txt_ids", own(ids(env, txtIds, rows)));
          if (guidanceInput) {
            fixed.put("guidance", own(Tensors.floats(env, guidance, new long[] {rows}, floatType)));
          }
        }
        output = Tensors.allocate(env, shape, floatType);
        owned.add(output.tensor());
      } catch (OrtException | RuntimeException e) {
        close();
        throw e;
      }
      this.hidden = new Tensors.ReusableInput(shape, floatType);
    }

    private OnnxTensor ids(OrtEnvironment env, float[] ids, long rows) throws OrtException {
      int tokens = ids.length / 3;
      float[] values = ids;
      long[] shape = {tokens, 3};
      if (idsRank == 3) {
        values = new float[(int) rows * ids.length];
        for (int r = 0; r < rows; r++) {
          System.arraycopy(ids, 0, values, r * ids.length, ids.length);
        }
        shape = new long[] {rows, tokens, 3};
      }
      if (idsType == TensorType.INT64) {
        long[] longs = new long[values.length];
        for (int i = 0; i < values.length; i++) {
          longs[i] = (long) values[i];
        }
        return Tensors.longs(env, longs, shape);
      }
      return Tensors.floats(env, values, shape, idsType);
    }

    private OnnxTensor own(OnnxTensor tensor) {
      owned.add(tensor);
      return tensor;
    }

    /**
     * One transformer call over every row.
     *
     * @param states the hidden states, shaped as bound
     * @param timestep the model's timestep for every row (SD3: the scheduler's, 0..1000; Flux: divided by 1000)
     * @param out receives the prediction, shaped as {@code hidden}
     */
    public void predict(float[] states, float timestep, float[] out) throws OrtException {
      OrtEnvironment env = graph.environment();
      Arrays.fill(timesteps, timestep);
      try (OnnxTensor x = hidden.wrap(env, states);
          OnnxTensor t = Tensors.floats(env, timesteps, new long[] {timesteps.length}, floatType)) {
        Map<String, OnnxTensorLike> inputs = new HashMap<>(fixed);
        inputs.put("hidden_states", x);
        inputs.put("timestep", t);
        try (OrtSession.Result ignored = graph.run(inputs, Map.of("out_hidden_states", output.tensor()))) {
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

  @Override
  public void close() {
    graph.close();
  }
}
