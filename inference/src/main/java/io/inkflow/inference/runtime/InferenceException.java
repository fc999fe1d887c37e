package io.inkflow.inference.runtime;

/**
 * ONNX Runtime failed while running a pack's graphs (out of memory, a kernel error, a shape the
 * graph rejects). A worker treats it as a job failure that may succeed on retry or in a smaller
 * batch.
 */
public class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InferenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
