package io.inkflow.workers.generate;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises an accelerator that is gone (a GPU fallen off the bus, an uncorrectable ECC error, a CUDA
 * context left corrupt by a sticky error) in what the generator threw. Such an error is no fault of the
 * jobs in the batch and does not pass: every later call on the same device fails too. So the worker must
 * not split the batch, re-queue or dead-letter its jobs; it stops without committing them, and the group
 * gives its partitions (and the jobs) to a worker whose device works.
 *
 * <p>ONNX Runtime's CUDA provider reports a failed CUDA runtime call as
 * {@code "CUDA failure <code>: <cudaGetErrorString> ; GPU=<n> ; hostname=… ; expr=…"}
 * ({@code onnxruntime/core/providers/cuda/cuda_call.cc}), which reaches Java as an {@code OrtException}
 * (code {@code ORT_FAIL}) inside the pipeline's {@code InferenceException}. The codes below are the CUDA
 * runtime's errors that mean the device or its context cannot be used again by this process; an out-of-memory
 * error (2) is not among them: it depends on the batch, and the worker's split handles it.
 */
public final class AcceleratorLoss {
  private static final Pattern CUDA_FAILURE = Pattern.compile("CUDA failure (\\d+):");

  /**
   * cudaErrorInitializationError (3), cudaErrorCudartUnloading (4), cudaErrorDevicesUnavailable (46),
   * cudaErrorNoDevice (100), cudaErrorInvalidDevice (101), cudaErrorECCUncorrectable (214),
   * cudaErrorIllegalAddress (700), cudaErrorContextIsDestroyed (709), cudaErrorLaunchFailure (719),
   * cudaErrorUnknown (999, what a device that fell off the bus returns).
   */
  static final Set<Integer> DEVICE_LOST_CODES = Set.of(3, 4, 46, 100, 101, 214, 700, 709, 719, 999);

  private AcceleratorLoss() {}

  /** The message that shows the device is lost, searched through the causes; empty for any other error. */
  public static Optional<String> of(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      String message = t.getMessage();
      if (message == null) {
        continue;
      }
      Matcher m = CUDA_FAILURE.matcher(message);
      while (m.find()) {
        try {
          if (DEVICE_LOST_CODES.contains(Integer.parseInt(m.group(1)))) {
            return Optional.of(message);
          }
        } catch (NumberFormatException e) {
          // more digits than an int: not a CUDA error code
        }
      }
    }
    return Optional.empty();
  }
}
