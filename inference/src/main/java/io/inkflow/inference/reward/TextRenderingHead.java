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
import io.inkflow.inference.text.GlyphTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The text-rendering (OCR) head: pixels [N, 3, S, S] -> char_logits [N, maxChars, 259], decoded greedily. */
public final class TextRenderingHead implements AutoCloseable {
  static final GraphContract CONTRACT = new GraphContract(RewardPackManifest.TEXT_RENDERING,
      List.of(Port.floats("pixels", 4)), List.of(Port.floats("char_logits", 3)));

  private final GraphSession graph;
  private final RewardPackManifest pack;

  private TextRenderingHead(GraphSession graph, RewardPackManifest pack) {
    this.graph = graph;
    this.pack = pack;
  }

  public static TextRenderingHead open(SessionFactory factory, RewardPackManifest pack) {
    return new TextRenderingHead(GraphSession.open(factory, pack.id(), pack.dir(),
        pack.graph(RewardPackManifest.TEXT_RENDERING), CONTRACT, pack.precision()), pack);
  }

  /** The text read in each of {@code rows} prepared images. */
  public List<String> read(float[] pixels, int rows) throws OrtException {
    int s = pack.image().size();
    try (OnnxTensor input = Tensors.floats(graph.environment(), pixels, new long[] {rows, 3, s, s},
        pack.precision().floatType());
        OrtSession.Result result = graph.run(Map.of("pixels", input))) {
      float[] logits = Tensors.toFloats(result.get("char_logits").orElseThrow());
      int positions = pack.maxChars();
      int vocab = GlyphTokenizer.VOCAB;
      if (logits.length != rows * positions * vocab) {
        throw new IllegalStateException(graph.label() + ": expected char_logits [" + rows + ", " + positions
            + ", " + vocab + "], found " + logits.length + " values");
      }
      List<String> out = new ArrayList<>(rows);
      for (int r = 0; r < rows; r++) {
        out.add(TextMetrics.decodeGreedy(logits, r * positions * vocab, positions, vocab));
      }
      return out;
    }
  }

  @Override
  public void close() {
    graph.close();
  }
}
