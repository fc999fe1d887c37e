package io.inkflow.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.runtime.GraphContract;
import io.inkflow.inference.runtime.GraphContract.Port;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.util.List;
import java.util.Map;

/** The aesthetic head: pixels [N, 3, S, S] -> aesthetic [N]. */
public final class AestheticHead implements AutoCloseable {
  static final GraphContract CONTRACT = new GraphContract(RewardPackManifest.AESTHETIC,
      List.of(Port.floats("pixels", 4)), List.of(Port.floats("aesthetic", 1)));

  private final GraphSession graph;
  private final RewardPackManifest pack;

  private AestheticHead(GraphSession graph, RewardPackManifest pack) {
    this.graph = graph;
    this.pack = pack;
  }

  public static AestheticHead open(SessionFactory factory, RewardPackManifest pack) {
    return new AestheticHead(GraphSession.open(factory, pack.id(), pack.dir(),
        pack.graph(RewardPackManifest.AESTHETIC), CONTRACT, pack.precision()), pack);
  }

  /** Scores of {@code rows} prepared images. */
  public float[] score(float[] pixels, int rows) throws OrtException {
    int s = pack.image().size();
    try (OnnxTensor input = Tensors.floats(graph.environment(), pixels, new long[] {rows, 3, s, s},
        pack.precision().floatType());
        OrtSession.Result result = graph.run(Map.of("pixels", input))) {
      return Tensors.toFloats(result.get("aesthetic").orElseThrow());
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
