package io.inkflow.inference.diffusers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TensorSpec;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * A CLIP text encoder of a diffusers export ({@code CLIPTextModel} or {@code
 * CLIPTextModelWithProjection}, as Optimum's {@code CLIPTextOnnxConfig} exports it): {@code
 * input_ids} [N, 77] (int64, or int32 in some exports) in; {@code last_hidden_state} [N, 77, D], the
 * pooled {@code pooler_output} [N, D] or projected {@code text_embeds} [N, P], and, where the export
 * asked for them (SDXL), every layer's {@code hidden_states.k} out. Element types and ranks are read
 * from the session.
 */
public final class ClipTextEncoder implements AutoCloseable {
  private static final Set<TensorType> FLOATS = Set.of(TensorType.FLOAT32, TensorType.FLOAT16);

  private final GraphSession graph;
  private final TensorType idsType;
  private final String pooled;
  private final int hiddenStates;

  private ClipTextEncoder(GraphSession graph, TensorType idsType, String pooled, int hiddenStates) {
    this.graph = graph;
    this.idsType = idsType;
    this.pooled = pooled;
    this.hiddenStates = hiddenStates;
  }

  /**
   * Loads {@code folder/model.onnx} of an export and checks its inputs and outputs.
   *
   * @param withProjection whether the pooled output is the projected {@code text_embeds}
   */
  public static ClipTextEncoder open(SessionFactory factory, String packId, Path exportDir, String folder,
      boolean withProjection) {
    GraphSession graph = GraphSession.openDiscovered(factory, packId + "/" + folder,
        exportDir.resolve(folder).resolve("model.onnx"));
    try {
      TensorSpec ids = graph.requireInput("input_ids", Set.of(TensorType.INT64, TensorType.INT32), Set.of(2));
      graph.requireOutput("last_hidden_state", FLOATS, Set.of(3));
      String pooled = withProjection ? "text_embeds" : "pooler_output";
      graph.requireOutput(pooled, FLOATS, Set.of(2));
      int hidden = 0;
      while (graph.spec().output("hidden_states." + hidden).isPresent()) {
        graph.requireOutput("hidden_states." + hidden, FLOATS, Set.of(3));
        hidden++;
      }
      return new ClipTextEncoder(graph, ids.type(), pooled, hidden);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** How many {@code hidden_states.k} outputs the export has (layers + 1), or 0 when it has none. */
  public int hiddenStates() {
    return hiddenStates;
  }

  /** The encoder's states and pooled vector for a batch of rows. */
  public record Output(float[] states, int width, float[] pooled, int pooledWidth) {}

  /**
   * Encodes {@code rows} rows of {@code length} ids.
   *
   * @param hiddenState the {@code hidden_states.k} output to return as the states, or -1 for
   *     {@code last_hidden_state}
   */
  public Output encode(long[] ids, int rows, int length, int hiddenState) throws OrtException {
    if (hiddenState >= hiddenStates) {
      throw new IllegalArgumentException(graph.label() + ": expected a hidden state below " + hiddenStates
          + ", found " + hiddenState);
    }
    String statesName = hiddenState < 0 ? "last_hidden_state" : "hidden_states." + hiddenState;
    long[] shape = {rows, length};
    try (OnnxTensor input = ids(ids, shape);
        OrtSession.Result result = graph.run(Map.of("input_ids", input), Set.of(statesName, pooled))) {
      OnnxTensor states = (OnnxTensor) result.get(statesName).orElseThrow();
      OnnxTensor pooledOut = (OnnxTensor) result.get(pooled).orElseThrow();
      long[] s = states.getInfo().getShape();
      long[] p = pooledOut.getInfo().getShape();
      if (s[0] != rows || s[1] != length || p[0] != rows) {
        throw new PackException(graph.label() + ": expected " + statesName + " [" + rows + ", " + length + ", D] and "
            + pooled + " [" + rows + ", P], found " + Arrays.toString(s) + " and " + Arrays.toString(p));
      }
      return new Output(Tensors.toFloats(states), Math.toIntExact(s[2]), Tensors.toFloats(pooledOut),
          Math.toIntExact(p[1]));
    }
  }

  private OnnxTensor ids(long[] ids, long[] shape) throws OrtException {
    if (idsType == TensorType.INT64) {
      return Tensors.longs(graph.environment(), ids, shape);
    }
    IntBuffer buffer = ByteBuffer.allocateDirect(ids.length * 4).order(ByteOrder.nativeOrder()).asIntBuffer();
    for (long id : ids) {
      buffer.put(Math.toIntExact(id));
    }
    buffer.rewind();
    return OnnxTensor.createTensor(graph.environment(), buffer, shape);
  }

  @Override
  public void close() {
    graph.close();
  }
}
