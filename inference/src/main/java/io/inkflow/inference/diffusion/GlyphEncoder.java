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

/**
 * The glyph encoder stage (ByT5 style): UTF-8 byte ids + mask [N, Lg] -> states [N, Lg, D]
 * projected to the text encoder's width, so both can be concatenated under one mask.
 */
public final class GlyphEncoder implements AutoCloseable {
  static final GraphContract CONTRACT = new GraphContract(PackManifest.GLYPH_ENCODER,
      List.of(Port.longs("glyph_ids", 2), Port.longs("glyph_mask", 2)),
      List.of(Port.floats("glyph_states", 3)));

  private final GraphSession graph;

  private GlyphEncoder(GraphSession graph) {
    this.graph = graph;
  }

  /** Loads and checks the pack's glyph encoder graph. */
  public static GlyphEncoder open(SessionFactory factory, PackManifest pack) {
    return new GlyphEncoder(GraphSession.open(factory, pack.id(), pack.dir(),
        pack.graph(PackManifest.GLYPH_ENCODER), CONTRACT, pack.precision()));
  }

  /** Glyph states [rows, length, D] as a flat array. */
  public float[] encode(PaddedIds ids) throws OrtException {
    try (OnnxTensor idTensor = Tensors.longs(graph.environment(), ids.ids(), ids.shape());
        OnnxTensor maskTensor = Tensors.longs(graph.environment(), ids.mask(), ids.shape());
        OrtSession.Result result = graph.run(Map.of("glyph_ids", idTensor, "glyph_mask", maskTensor))) {
      return Tensors.toFloats(result.get("glyph_states").orElseThrow());
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
