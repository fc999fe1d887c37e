package io.inkflow.inference.diffusion;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.runtime.GraphContract;
import io.inkflow.inference.runtime.GraphContract.Port;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import io.inkflow.inference.text.PaddedIds;
import java.util.List;
import java.util.Map;

/** The text encoder stage: token ids + mask [N, L] -> hidden states [N, L, D]. */
public final class TextEncoder implements AutoCloseable {
  static final GraphContract CONTRACT = new GraphContract(PackManifest.TEXT_ENCODER,
      List.of(Port.longs("input_ids", 2), Port.longs("attention_mask", 2)),
      List.of(Port.floats("hidden_states", 3)));

  private final GraphSession graph;

  private TextEncoder(GraphSession graph) {
    this.graph = graph;
  }

  /** Loads and checks the pack's text encoder graph. */
  public static TextEncoder open(SessionFactory factory, PackManifest pack) {
    return new TextEncoder(GraphSession.open(factory, pack.id(), pack.dir(),
        pack.graph(PackManifest.TEXT_ENCODER), CONTRACT, pack.precision()));
  }

  /** Hidden states [rows, length, D] as a flat array. */
  public float[] encode(PaddedIds ids) throws OrtException {
    try (OnnxTensor idTensor = Tensors.longs(graph.environment(), ids.ids(), ids.shape());
        OnnxTensor maskTensor = Tensors.longs(graph.environment(), ids.mask(), ids.shape());
        OrtSession.Result result = graph.run(Map.of("input_ids", idTensor, "attention_mask", maskTensor))) {
      return Tensors.toFloats(result.get("hidden_states").orElseThrow());
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
