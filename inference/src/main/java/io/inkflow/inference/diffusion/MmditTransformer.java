package io.inkflow.inference.diffusion;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.pack.LatentSpec;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphContract;
import io.inkflow.inference.runtime.GraphContract.Port;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.Half;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The MMDiT transformer stage: joint attention over text and image tokens, predicting the
 * flow-matching velocity.
 *
 * <p>Inputs: {@code latents [N, C, h, w]}, {@code timestep [N]}, {@code context [N, L, D]},
 * {@code context_mask [N, L]}, {@code image_positions [T, 2]}; output {@code velocity [N, C, h, w]}.
 * Per batch, the context, mask and positions tensors are created once and the output is a pinned
 * tensor reused by every step, so a step costs one latents copy in, one ONNX Runtime call and one
 * velocity copy out.
 */
public final class MmditTransformer implements Denoiser, AutoCloseable {
  static final GraphContract CONTRACT = new GraphContract(PackManifest.TRANSFORMER,
      List.of(Port.floats("latents", 4), Port.floats("timestep", 1), Port.floats("context", 3),
          Port.floats("context_mask", 2), Port.floats("image_positions", 2)),
      List.of(Port.floats("velocity", 4)));

  private final GraphSession graph;
  private final LatentSpec latent;
  private final TensorType floatType;

  private MmditTransformer(GraphSession graph, LatentSpec latent, TensorType floatType) {
    this.graph = graph;
    this.latent = latent;
    this.floatType = floatType;
  }

  /** Loads and checks the pack's transformer graph. */
  public static MmditTransformer open(SessionFactory factory, PackManifest pack) {
    return new MmditTransformer(GraphSession.open(factory, pack.id(), pack.dir(),
        pack.graph(PackManifest.TRANSFORMER), CONTRACT, pack.precision()),
        pack.latent(), pack.precision().floatType());
  }

  @Override
  public Batch bind(int rows, float[] context, float[] contextMask, int contextLength, float[] positions,
      int latentHeight, int latentWidth) throws OrtException {
    return new BoundBatch(rows, context, contextMask, contextLength, positions, latentHeight, latentWidth);
  }

  @Override
  public void close() {
    graph.close();
  }

  private final class BoundBatch implements Batch {
    private final int rows;
    private final long[] latentShape;
    private final long[] timestepShape;
    private final List<OnnxTensor> owned = new ArrayList<>();
    private final OnnxTensor context;
    private final OnnxTensor contextMask;
    private final OnnxTensor positions;
    private final Tensors.PinnedOutput velocity;
    private final FloatBuffer latents32;
    private final ShortBuffer latents16;

    BoundBatch(int rows, float[] contextData, float[] maskData, int contextLength, float[] positionData,
        int latentHeight, int latentWidth) throws OrtException {
      this.rows = rows;
      this.latentShape = new long[] {rows, latent.channels(), latentHeight, latentWidth};
      this.timestepShape = new long[] {rows};
      OrtEnvironment env = graph.environment();
      try {
        long dim = contextData.length / ((long) rows * contextLength);
        context = own(Tensors.floats(env, contextData, new long[] {rows, contextLength, dim}, floatType));
        contextMask = own(Tensors.floats(env, maskData, new long[] {rows, contextLength}, floatType));
        positions = own(Tensors.floats(env, positionData, new long[] {positionData.length / 2, 2}, floatType));
        velocity = Tensors.allocate(env, latentShape, floatType);
        owned.add(velocity.tensor());
      } catch (OrtException | RuntimeException e) {
        close();
        throw e;
      }
      int n = Tensors.elements(latentShape);
      latents32 = floatType == TensorType.FLOAT32 ? Tensors.directFloats(n) : null;
      latents16 = floatType == TensorType.FLOAT16 ? Tensors.directShorts(n) : null;
    }

    private OnnxTensor own(OnnxTensor tensor) {
      owned.add(tensor);
      return tensor;
    }

    @Override
    public int rows() {
      return rows;
    }

    @Override
    public void velocity(float[] latents, float[] timesteps, float[] out) throws OrtException {
      OrtEnvironment env = graph.environment();
      try (OnnxTensor latentTensor = latentTensor(env, latents);
          OnnxTensor timestepTensor = Tensors.floats(env, timesteps, timestepShape, floatType);
          OrtSession.Result ignored = graph.run(
              Map.of("latents", latentTensor, "timestep", timestepTensor, "context", context,
                  "context_mask", contextMask, "image_positions", positions),
              Map.of("velocity", velocity.tensor()))) {
        velocity.read(out);
      }
    }

    private OnnxTensor latentTensor(OrtEnvironment env, float[] latents) throws OrtException {
      if (latents32 != null) {
        latents32.clear();
        latents32.put(latents).rewind();
        return OnnxTensor.createTensor(env, latents32, latentShape);
      }
      latents16.clear();
      for (float v : latents) {
        latents16.put(Half.fromFloat(v));
      }
      latents16.rewind();
      return OnnxTensor.createTensor(env, latents16, latentShape, OnnxJavaType.FLOAT16);
    }

    @Override
    public void close() {
      for (int i = owned.size() - 1; i >= 0; i--) {
        owned.get(i).close();
      }
      owned.clear();
    }
  }
}
