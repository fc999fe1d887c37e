package io.inkflow.inference.diffusers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The T5 encoder of an SD3 or Flux export ({@code T5EncoderModel} as Optimum exports it): {@code
 * input_ids} [N, L] in, {@code last_hidden_state} [N, L, D] out. Element types and ranks are read
 * from the session.
 */
public final class T5TextEncoder implements AutoCloseable {
  private final GraphSession graph;

  private T5TextEncoder(GraphSession graph) {
    this.graph = graph;
  }

  /** Loads {@code folder/model.onnx} of an export and checks its inputs and outputs. */
  public static T5TextEncoder open(SessionFactory factory, String packId, Path exportDir, String folder) {
    GraphSession graph = GraphSession.openDiscovered(factory, packId + "/" + folder,
        exportDir.resolve(folder).resolve("model.onnx"));
    try {
      graph.requireInput("input_ids", Set.of(TensorType.INT64), Set.of(2));
      graph.requireOutput("last_hidden_state", Set.of(TensorType.FLOAT32, TensorType.FLOAT16), Set.of(3));
      return new T5TextEncoder(graph);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** The states [rows, length, width] and their width. */
  public record Output(float[] states, int width) {}

  /** Encodes {@code rows} rows of {@code length} ids. */
  public Output encode(long[] ids, int rows, int length) throws OrtException {
    try (OnnxTensor input = Tensors.longs(graph.environment(), ids, new long[] {rows, length});
        OrtSession.Result result = graph.run(Map.of("input_ids", input))) {
      OnnxTensor states = (OnnxTensor) result.get("last_hidden_state").orElseThrow();
      long[] s = states.getInfo().getShape();
      if (s[0] != rows || s[1] != length) {
        throw new PackException(graph.label() + ": expected last_hidden_state [" + rows + ", " + length + ", D], found "
            + Arrays.toString(s));
      }
      return new Output(Tensors.toFloats(states), Math.toIntExact(s[2]));
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
