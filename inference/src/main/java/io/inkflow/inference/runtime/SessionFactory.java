package io.inkflow.inference.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates ONNX Runtime sessions on the process-wide {@link OrtEnvironment} with one
 * {@link SessionOptionsConfig}.
 *
 * <p>When CUDA is asked for, it is probed once per process and device: a one-operator graph is
 * loaded and run with the CUDA provider. {@code getAvailableProviders()} is not trusted (it lists
 * CUDA with no GPU present) and {@code addCUDA} can succeed while session creation fails, so any
 * {@link OrtException} from either call, during the probe or for a later graph, falls back to CPU
 * and is logged with its reason.
 */
public final class SessionFactory {
  private static final Logger LOG = LoggerFactory.getLogger(SessionFactory.class);
  private static final String PROBE_RESOURCE = "cuda-probe.onnx";
  private static final Map<Integer, Optional<String>> CUDA_PROBES = new ConcurrentHashMap<>();

  private final OrtEnvironment env;
  private final SessionOptionsConfig config;
  private final ExecutionProvider provider;
  private final String fallbackReason;

  public SessionFactory(SessionOptionsConfig config) {
    this.env = OrtEnvironment.getEnvironment();
    this.config = config;
    if (config.provider() == ExecutionProvider.CUDA) {
      Optional<String> failure = CUDA_PROBES.computeIfAbsent(config.deviceId(), this::probeCuda);
      this.provider = failure.isPresent() ? ExecutionProvider.CPU : ExecutionProvider.CUDA;
      this.fallbackReason = failure.orElse(null);
    } else {
      this.provider = ExecutionProvider.CPU;
      this.fallbackReason = null;
    }
  }

  /** The process-wide ONNX Runtime environment. */
  public OrtEnvironment environment() {
    return env;
  }

  /** The configuration sessions are created with. */
  public SessionOptionsConfig config() {
    return config;
  }

  /** The provider sessions actually use: CPU when CUDA was asked for but is unavailable. */
  public ExecutionProvider provider() {
    return provider;
  }

  /** Why CUDA was asked for but CPU is used, if it was. */
  public Optional<String> fallbackReason() {
    return Optional.ofNullable(fallbackReason);
  }

  /**
   * Creates a session for a graph file. The caller owns both the session and its options and must
   * close them (see {@link GraphSession}).
   *
   * @param label names the graph in logs, e.g. {@code tiny-mmdit-flow/transformer}
   */
  OpenedSession open(String label, Path file) throws OrtException {
    if (provider == ExecutionProvider.CUDA) {
      SessionOptions options = newOptions();
      try {
        options.addCUDA(config.deviceId());
        return new OpenedSession(env.createSession(file.toString(), options), options, ExecutionProvider.CUDA);
      } catch (OrtException e) {
        options.close();
        LOG.warn("CUDA session for {} failed on device {}, falling back to CPU: {}",
            label, config.deviceId(), e.getMessage());
      }
    }
    SessionOptions options = newOptions();
    try {
      return new OpenedSession(env.createSession(file.toString(), options), options, ExecutionProvider.CPU);
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }

  private SessionOptions newOptions() throws OrtException {
    SessionOptions options = new SessionOptions();
    try {
      options.setOptimizationLevel(config.optimizationLevel().ortLevel());
      options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
      if (config.intraOpThreads() > 0) {
        options.setIntraOpNumThreads(config.intraOpThreads());
      }
      if (config.interOpThreads() > 0) {
        options.setInterOpNumThreads(config.interOpThreads());
      }
      options.addConfigEntry("session.intra_op.allow_spinning", config.spinWait() ? "1" : "0");
      return options;
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }

  /** Empty when CUDA works on this device, else why not. */
  private Optional<String> probeCuda(int deviceId) {
    byte[] model;
    try (InputStream in = SessionFactory.class.getResourceAsStream(PROBE_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + PROBE_RESOURCE);
      }
      model = in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (SessionOptions options = new SessionOptions()) {
      options.addCUDA(deviceId);
      try (OrtSession session = env.createSession(model, options);
          OnnxTensor x = OnnxTensor.createTensor(env, new float[] {1f});
          OrtSession.Result result = session.run(Map.of("x", x))) {
        float y = ((float[]) result.get(0).getValue())[0];
        if (y != 2f) {
          return fail(deviceId, "probe graph returned " + y + ", expected 2.0");
        }
      }
      LOG.info("CUDA execution provider available on device {}", deviceId);
      return Optional.empty();
    } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
      return fail(deviceId, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }

  private static Optional<String> fail(int deviceId, String reason) {
    LOG.warn("CUDA execution provider unavailable on device {}, falling back to CPU: {}", deviceId, reason);
    return Optional.of(reason);
  }

  /** A session with the options it was created with and the provider it runs on. */
  record OpenedSession(OrtSession session, SessionOptions options, ExecutionProvider provider) {}
}
