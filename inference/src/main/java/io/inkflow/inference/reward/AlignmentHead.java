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
import io.inkflow.inference.text.PaddedIds;
import java.util.List;
import java.util.Map;

/** The alignment head: pixels [N, 3, S, S], prompt ids + mask [N, L] -> alignment [N]. */
public final class AlignmentHead implements AutoCloseable {
  static final GraphContract CONTRACT = new GraphContract(RewardPackManifest.ALIGNMENT,
      List.of(Port.floats("pixels", 4), Port.longs("input_ids", 2), Port.longs("attention_mask", 2)),
      List.of(Port.floats("alignment", 1)));

  private final GraphSession graph;
  private final RewardPackManifest pack;

  private AlignmentHead(GraphSession graph, RewardPackManifest pack) {
    this.graph = graph;
    this.pack = pack;
  }

  public static AlignmentHead open(SessionFactory factory, RewardPackManifest pack) {
    return new AlignmentHead(GraphSession.open(factory, pack.id(), pack.dir(),
        pack.graph(RewardPackManifest.ALIGNMENT), CONTRACT, pack.precision()), pack);
  }

  /** Scores of image/prompt pairs, one per row. */
  public float[] score(float[] pixels, PaddedIds prompts) throws OrtException {
    int s = pack.image().size();
    int rows = prompts.rows();
    try (OnnxTensor input = Tensors.floats(graph.environment(), pixels, new long[] {rows, 3, s, s},
        pack.precision().floatType());
        OnnxTensor ids = Tensors.longs(graph.environment(), prompts.ids(), prompts.shape());
        OnnxTensor mask = Tensors.longs(graph.environment(), prompts.mask(), prompts.shape());
        OrtSession.Result result = graph.run(Map.of("pixels", input, "input_ids", ids, "attention_mask", mask))) {
      return Tensors.toFloats(result.get("alignment").orElseThrow());
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
