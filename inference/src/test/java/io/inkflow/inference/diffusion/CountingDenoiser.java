package io.inkflow.inference.diffusion;

import ai.onnxruntime.OrtException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Wraps the transformer and records the rows of every call, so tests can see how it is called. */
final class CountingDenoiser implements Denoiser {
  private final Denoiser delegate;
  private final List<Integer> callRows = new CopyOnWriteArrayList<>();

  CountingDenoiser(Denoiser delegate) {
    this.delegate = delegate;
  }

  /** Rows of each transformer call since the last reset, in order. */
  List<Integer> callRows() {
    return List.copyOf(callRows);
  }

  void reset() {
    callRows.clear();
  }

  @Override
  public Batch bind(int rows, float[] context, float[] contextMask, int contextLength, float[] positions,
      int latentHeight, int latentWidth) throws OrtException {
    Batch batch = delegate.bind(rows, context, contextMask, contextLength, positions, latentHeight, latentWidth);
    return new Batch() {
      @Override
      public int rows() {
        return batch.rows();
      }

      @Override
      public void velocity(float[] latents, float[] timesteps, float[] velocity) throws OrtException {
        callRows.add(timesteps.length);
        batch.velocity(latents, timesteps, velocity);
      }

      @Override
      public void close() {
        batch.close();
      }
    };
  }
}
