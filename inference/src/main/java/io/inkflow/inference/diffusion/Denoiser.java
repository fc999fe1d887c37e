package io.inkflow.inference.diffusion;

import ai.onnxruntime.OrtException;

/**
 * The velocity model the sampler calls once per step. {@link MmditTransformer} is the real one;
 * {@link TextToImagePipeline#open(java.nio.file.Path,
 * io.inkflow.inference.runtime.SessionOptionsConfig, java.util.function.UnaryOperator)} lets a
 * caller wrap it to count or time calls.
 */
public interface Denoiser {

  /**
   * Binds the inputs that stay constant while one batch is sampled.
   *
   * @param rows batch rows (2B with guidance: B cond rows, then B uncond rows)
   * @param context text + glyph states [rows, L, D]
   * @param contextMask 1 for tokens, 0 for padding [rows, L]
   * @param contextLength L
   * @param positions image token position ids [T, 2]
   * @param latentHeight latent rows
   * @param latentWidth latent columns
   */
  Batch bind(int rows, float[] context, float[] contextMask, int contextLength, float[] positions,
      int latentHeight, int latentWidth) throws OrtException;

  /** One batch being sampled; closing it releases its native tensors. */
  interface Batch extends AutoCloseable {
    /** Rows per call. */
    int rows();

    /**
     * One model call over every row.
     *
     * @param latents [rows, C, h, w]
     * @param timesteps [rows]
     * @param velocity receives [rows, C, h, w]
     */
    void velocity(float[] latents, float[] timesteps, float[] velocity) throws OrtException;

    @Override
    void close();
  }
}
