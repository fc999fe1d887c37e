package io.inkflow.inference.runtime;

/**
 * How ONNX Runtime sessions are created for a pack.
 *
 * @param provider execution provider asked for; CUDA falls back to CPU when unavailable
 * @param deviceId CUDA device ordinal (ignored on CPU)
 * @param intraOpThreads threads per graph for one operator; 0 lets ONNX Runtime pick (one per
 *     physical core)
 * @param interOpThreads threads across independent operators; 0 lets ONNX Runtime pick (graphs
 *     here run sequentially, so this rarely matters)
 * @param optimizationLevel graph optimisation level
 * @param spinWait whether idle intra-op threads spin before sleeping (ONNX Runtime's own default).
 *     Off here by default: a pipeline runs several sessions in turn, each with its own thread pool,
 *     and pools left spinning take the cores from the next stage and from work overlapped with
 *     inference (PNG encoding, uploads); on 2 cores spinning made generation up to 2.3x slower
 *     (docs/benchmarks.md)
 */
public record SessionOptionsConfig(ExecutionProvider provider, int deviceId, int intraOpThreads,
    int interOpThreads, OptimizationLevel optimizationLevel, boolean spinWait) {

  public SessionOptionsConfig {
    if (provider == null || optimizationLevel == null) {
      throw new IllegalArgumentException("provider and optimizationLevel are required");
    }
    if (deviceId < 0) {
      throw new IllegalArgumentException("expected deviceId >= 0, found " + deviceId);
    }
    if (intraOpThreads < 0 || intraOpThreads > 1024) {
      throw new IllegalArgumentException("expected 0 <= intraOpThreads <= 1024, found " + intraOpThreads);
    }
    if (interOpThreads < 0 || interOpThreads > 1024) {
      throw new IllegalArgumentException("expected 0 <= interOpThreads <= 1024, found " + interOpThreads);
    }
  }

  /** CPU, ONNX Runtime's thread counts, all optimisations, no spin-waiting. */
  public static SessionOptionsConfig cpu() {
    return new SessionOptionsConfig(ExecutionProvider.CPU, 0, 0, 0, OptimizationLevel.ALL, false);
  }

  /** CUDA on a device, with CPU fallback; otherwise as {@link #cpu()}. */
  public static SessionOptionsConfig cuda(int deviceId) {
    return new SessionOptionsConfig(ExecutionProvider.CUDA, deviceId, 0, 0, OptimizationLevel.ALL, false);
  }

  public SessionOptionsConfig withIntraOpThreads(int threads) {
    return new SessionOptionsConfig(provider, deviceId, threads, interOpThreads, optimizationLevel, spinWait);
  }

  public SessionOptionsConfig withSpinWait(boolean spin) {
    return new SessionOptionsConfig(provider, deviceId, intraOpThreads, interOpThreads, optimizationLevel, spin);
  }

  public SessionOptionsConfig withOptimizationLevel(OptimizationLevel level) {
    return new SessionOptionsConfig(provider, deviceId, intraOpThreads, interOpThreads, level, spinWait);
  }
}
