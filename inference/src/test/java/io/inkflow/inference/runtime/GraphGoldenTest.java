package io.inkflow.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.pack.GraphSpec;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.Precision;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.testing.Golden;
import io.inkflow.inference.testing.TestPacks;
import io.inkflow.inference.testing.Tolerance;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every graph of every committed pack, run by ONNX Runtime from Java, against the outputs PyTorch
 * computed for the same inputs when the pack was written.
 *
 * <p>Tolerances: fp32 graphs within 1e-5 + 1e-5 * |expected| (ONNX Runtime and PyTorch use
 * different kernels and fusions; observed max differences are 2e-6 or less). fp16 packs within
 * 5e-3 + 5e-3 * |expected|: outputs are rounded to fp16, whose step is 2^-11 relative (0.002 at
 * |v| = 4, the largest difference observed), and both sides round independently.
 */
class GraphGoldenTest {
  private static final Logger LOG = LoggerFactory.getLogger(GraphGoldenTest.class);
  private static SessionFactory factory;

  @BeforeAll
  static void open() {
    factory = new SessionFactory(SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void checkNoLeak() {
    assertThat(GraphSession.liveSessions()).isZero();
  }

  static Stream<Arguments> graphs() {
    List<Arguments> out = new ArrayList<>();
    for (Path pack : List.of(TestPacks.mmdit(), TestPacks.mmditFp16(), TestPacks.miniMmdit())) {
      PackManifest m = PackManifest.read(pack);
      for (String key : List.of(PackManifest.TEXT_ENCODER, PackManifest.GLYPH_ENCODER, PackManifest.TRANSFORMER,
          PackManifest.VAE_DECODER)) {
        out.add(Arguments.of(m.id(), key, pack, m.graph(key), m.precision()));
      }
    }
    for (Path pack : List.of(TestPacks.reward(), TestPacks.miniReward())) {
      RewardPackManifest r = RewardPackManifest.read(pack);
      for (String key : List.of(RewardPackManifest.AESTHETIC, RewardPackManifest.ALIGNMENT,
          RewardPackManifest.TEXT_RENDERING)) {
        out.add(Arguments.of(r.id(), key, pack, r.graph(key), r.precision()));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}/{1}")
  @MethodSource("graphs")
  void matchesPyTorch(String packId, String key, Path pack, GraphSpec spec, Precision precision) throws OrtException {
    Golden golden = Golden.of(pack);
    JsonNode entry = golden.graph(key);
    GraphContract any = new GraphContract(key, List.of(), List.of());
    try (GraphSession graph = GraphSession.open(factory, packId, pack, spec, any, precision)) {
      Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
      try {
        for (JsonNode in : entry.get("inputs")) {
          Golden.Tensor t = golden.tensor(in);
          TensorType type = TensorType.parse(t.dtype());
          inputs.put(t.name(), type == TensorType.INT64
              ? Tensors.longs(graph.environment(), t.longs(), t.shape())
              : Tensors.floats(graph.environment(), t.floats(), t.shape(), type));
        }
        try (OrtSession.Result result = graph.run(inputs)) {
          for (JsonNode out : entry.get("outputs")) {
            Golden.Tensor expected = golden.tensor(out);
            var actual = result.get(expected.name()).orElseThrow();
            assertThat(Tensors.shape(actual)).as("shape of " + expected.name()).containsExactly(expected.shape());
            boolean half = precision == Precision.FP16;
            double worst = Tolerance.assertClose(packId + "/" + key + "/" + expected.name(),
                Tensors.toFloats(actual), expected.floats(), half ? 5e-3 : 1e-5, half ? 5e-3 : 1e-5);
            LOG.info("{}/{}/{}: max abs diff {}", packId, key, expected.name(), worst);
          }
        }
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }
}
