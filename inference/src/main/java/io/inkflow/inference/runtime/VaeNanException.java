package io.inkflow.inference.runtime;

/**
 * The VAE decoded NaN or infinite values (an fp16 SDXL VAE overflows this way). Retrying gives the
 * same result, so a worker ends the job FAILED with {@code VAE_NAN}; in a batch, it finds the image
 * by splitting the batch.
 */
public class VaeNanException extends InferenceException {
  private static final long serialVersionUID = 1L;

  public VaeNanException(String message) {
    super(message, null);
  }
}
