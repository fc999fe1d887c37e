package io.inkflow.workers.generate;

import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.storage.S3Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;
import java.util.UUID;

/**
 * The generation worker's configuration, read once from the environment and range-checked.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@code INKFLOW_BOOTSTRAP_SERVERS})
 * @param registryUrl schema registry URL ({@code INKFLOW_REGISTRY_URL})
 * @param topicPrefix prefix of every topic name ({@code INKFLOW_TOPIC_PREFIX}, default "")
 * @param groupId consumer group ({@code INKFLOW_WORKER_GROUP_ID}, default {@code inkflow-generation-workers})
 * @param workerId this worker's id in result events ({@code INKFLOW_WORKER_ID}, default host name + random suffix)
 * @param s3 bucket, endpoint and credentials ({@code INKFLOW_S3_*}, see {@link S3Settings#fromEnv})
 * @param packDir the model pack folder ({@code INKFLOW_PACK_DIR})
 * @param provider execution provider ({@code INKFLOW_EXECUTION_PROVIDER}: cpu or cuda, default cpu)
 * @param deviceId CUDA device ({@code INKFLOW_DEVICE_ID}, default 0); run one process per GPU
 * @param intraOpThreads ONNX Runtime threads per operator ({@code INKFLOW_WORKER_INTRA_OP_THREADS}, default 0:
 *     ONNX Runtime's choice, one per core). On a CPU host it is the share of the cores inference takes;
 *     the rest are left to the output threads and the clients
 * @param maxBatchSize most jobs per inference call ({@code INKFLOW_WORKER_BATCH_SIZE}, default 4)
 * @param maxWait longest a partial batch waits for company ({@code INKFLOW_WORKER_MAX_WAIT_MS}, default 200)
 * @param maxAttempts attempts per job before it is dead-lettered ({@code INKFLOW_WORKER_MAX_ATTEMPTS}, default 3)
 * @param outputThreads threads that PNG-encode, upload and produce ({@code INKFLOW_WORKER_OUTPUT_THREADS}, default 2)
 * @param queuedBatches batches waiting for the accelerator before polling pauses ({@code INKFLOW_WORKER_QUEUED_BATCHES}, default 2)
 * @param ioAttempts attempts of one S3 upload or produce ({@code INKFLOW_WORKER_IO_ATTEMPTS}, default 8)
 * @param ioBackoff first retry delay, doubled up to {@code ioBackoffMax} ({@code INKFLOW_WORKER_IO_BACKOFF_MS}, default 200)
 * @param ioBackoffMax longest retry delay ({@code INKFLOW_WORKER_IO_BACKOFF_MAX_MS}, default 5000)
 * @param ioDeadline how long a retryable S3 or produce error keeps being retried after the
 *     {@code ioAttempts} are used ({@code INKFLOW_WORKER_IO_DEADLINE_MS}, default 600000): an outage holds the
 *     rendered image, and through the bounded queues the consumer, instead of failing the job
 * @param claimDir folder of the crash claims, or null for none ({@code INKFLOW_WORKER_CLAIM_DIR})
 * @param metricsPort Prometheus endpoint port on 127.0.0.1, 0 for none ({@code INKFLOW_WORKER_METRICS_PORT}, default 0)
 * @param png PNG encoder ({@code INKFLOW_WORKER_PNG}: {@code standard} = deflate 6 + adaptive filters, or
 *     {@code fast} = deflate 1 + Sub, several times faster and a few percent larger; default standard).
 *     A job's bytes and sha256 are deterministic for a given setting.
 * @param clientOverrides extra Kafka client properties for the consumer and producer: every
 *     {@code INKFLOW_KAFKA_CLIENT_X_Y=v} becomes {@code x.y=v} (e.g. {@code INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL})
 */
public record WorkerConfig(String bootstrapServers, String registryUrl, String topicPrefix, String groupId, String workerId,
    S3Settings s3, Path packDir, ExecutionProvider provider, int deviceId, int intraOpThreads, int maxBatchSize, Duration maxWait,
    int maxAttempts, int outputThreads, int queuedBatches, int ioAttempts, Duration ioBackoff, Duration ioBackoffMax,
    Duration ioDeadline, Path claimDir, int metricsPort, PngMode png, Map<String, String> clientOverrides) {

  /** Which PNG encoder the worker uses. */
  public enum PngMode {
    STANDARD, FAST;

    public PngEncoder encoder() {
      return this == FAST ? PngEncoder.fast() : PngEncoder.standard();
    }

    /** {@code standard} or {@code fast}, case-insensitively. */
    public static PngMode parse(String text) {
      try {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("INKFLOW_WORKER_PNG: expected standard or fast, found '" + text + "'");
      }
    }
  }

  public WorkerConfig {
    require(bootstrapServers != null && !bootstrapServers.isBlank(), "INKFLOW_BOOTSTRAP_SERVERS", "host:port[,host:port]", bootstrapServers);
    require(registryUrl != null && !registryUrl.isBlank(), "INKFLOW_REGISTRY_URL", "a URL such as http://127.0.0.1:8081", registryUrl);
    Objects.requireNonNull(topicPrefix, "topicPrefix");
    require(groupId != null && !groupId.isBlank(), "INKFLOW_WORKER_GROUP_ID", "a group id", groupId);
    require(workerId != null && !workerId.isBlank(), "INKFLOW_WORKER_ID", "an id", workerId);
    Objects.requireNonNull(s3, "s3");
    require(packDir != null, "INKFLOW_PACK_DIR", "a model pack folder", packDir);
    Objects.requireNonNull(provider, "provider");
    require(deviceId >= 0, "INKFLOW_DEVICE_ID", ">= 0", deviceId);
    require(intraOpThreads >= 0 && intraOpThreads <= 1024, "INKFLOW_WORKER_INTRA_OP_THREADS", "0..1024 (0: ONNX Runtime's choice)", intraOpThreads);
    require(maxBatchSize >= 1 && maxBatchSize <= 256, "INKFLOW_WORKER_BATCH_SIZE", "1..256", maxBatchSize);
    require(maxWait != null && !maxWait.isNegative(), "INKFLOW_WORKER_MAX_WAIT_MS", ">= 0", maxWait);
    require(maxAttempts >= 1 && maxAttempts <= 100, "INKFLOW_WORKER_MAX_ATTEMPTS", "1..100", maxAttempts);
    require(outputThreads >= 1 && outputThreads <= 64, "INKFLOW_WORKER_OUTPUT_THREADS", "1..64", outputThreads);
    require(queuedBatches >= 1 && queuedBatches <= 64, "INKFLOW_WORKER_QUEUED_BATCHES", "1..64", queuedBatches);
    require(ioAttempts >= 1 && ioAttempts <= 100, "INKFLOW_WORKER_IO_ATTEMPTS", "1..100", ioAttempts);
    require(ioBackoff != null && !ioBackoff.isNegative(), "INKFLOW_WORKER_IO_BACKOFF_MS", ">= 0", ioBackoff);
    require(ioBackoffMax != null && ioBackoffMax.compareTo(ioBackoff) >= 0, "INKFLOW_WORKER_IO_BACKOFF_MAX_MS", ">= the first backoff", ioBackoffMax);
    require(ioDeadline != null && !ioDeadline.isNegative(), "INKFLOW_WORKER_IO_DEADLINE_MS", ">= 0", ioDeadline);
    require(metricsPort >= 0 && metricsPort <= 65535, "INKFLOW_WORKER_METRICS_PORT", "0..65535", metricsPort);
    Objects.requireNonNull(png, "png");
    clientOverrides = Map.copyOf(clientOverrides);
  }

  /** Reads the configuration from environment variables (see the record's parameters). */
  public static WorkerConfig fromEnv(Map<String, String> env) {
    String pack = env.get("INKFLOW_PACK_DIR");
    String claims = env.get("INKFLOW_WORKER_CLAIM_DIR");
    return new WorkerConfig(
        env.get("INKFLOW_BOOTSTRAP_SERVERS"),
        env.get("INKFLOW_REGISTRY_URL"),
        env.getOrDefault("INKFLOW_TOPIC_PREFIX", ""),
        env.getOrDefault("INKFLOW_WORKER_GROUP_ID", "inkflow-generation-workers"),
        env.getOrDefault("INKFLOW_WORKER_ID", defaultWorkerId()),
        S3Settings.fromEnv(env),
        pack == null || pack.isBlank() ? null : Path.of(pack),
        ExecutionProvider.parse(env.getOrDefault("INKFLOW_EXECUTION_PROVIDER", "cpu")),
        intValue(env, "INKFLOW_DEVICE_ID", 0),
        intValue(env, "INKFLOW_WORKER_INTRA_OP_THREADS", 0),
        intValue(env, "INKFLOW_WORKER_BATCH_SIZE", 4),
        Duration.ofMillis(intValue(env, "INKFLOW_WORKER_MAX_WAIT_MS", 200)),
        intValue(env, "INKFLOW_WORKER_MAX_ATTEMPTS", 3),
        intValue(env, "INKFLOW_WORKER_OUTPUT_THREADS", 2),
        intValue(env, "INKFLOW_WORKER_QUEUED_BATCHES", 2),
        intValue(env, "INKFLOW_WORKER_IO_ATTEMPTS", 8),
        Duration.ofMillis(intValue(env, "INKFLOW_WORKER_IO_BACKOFF_MS", 200)),
        Duration.ofMillis(intValue(env, "INKFLOW_WORKER_IO_BACKOFF_MAX_MS", 5000)),
        Duration.ofMillis(intValue(env, "INKFLOW_WORKER_IO_DEADLINE_MS", 600_000)),
        claims == null || claims.isBlank() ? null : Path.of(claims),
        intValue(env, "INKFLOW_WORKER_METRICS_PORT", 0),
        PngMode.parse(env.getOrDefault("INKFLOW_WORKER_PNG", "standard")),
        prefixed(env, "INKFLOW_KAFKA_CLIENT_"));
  }

  /** {@code PREFIX_A_B=v} → {@code a.b=v}. */
  static Map<String, String> prefixed(Map<String, String> env, String prefix) {
    Map<String, String> out = new TreeMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith(prefix) && k.length() > prefix.length()) {
        out.put(k.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
      }
    });
    return out;
  }

  /** The most jobs held between poll and commit; polling pauses at this many. */
  public int maxInFlightJobs() {
    return maxBatchSize * (queuedBatches + 2) + outputThreads;
  }

  private static String defaultWorkerId() {
    String host = System.getenv().getOrDefault("HOSTNAME", "worker");
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static int intValue(Map<String, String> env, String name, int fallback) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + ": expected an integer, found '" + v + "'");
    }
  }

  private static void require(boolean ok, String name, String expected, Object found) {
    if (!ok) {
      throw new IllegalArgumentException(name + ": expected " + expected + ", found " + found);
    }
  }

  /** Secrets masked (the S3 secret key is never printed; registry credentials in the URL are hidden). */
  @Override
  public String toString() {
    return "WorkerConfig[bootstrap=" + bootstrapServers + ", registry=" + registryUrl.replaceAll("//[^/@]*@", "//****@")
        + ", topicPrefix='" + topicPrefix + "', group=" + groupId + ", workerId=" + workerId + ", s3=" + s3
        + ", pack=" + packDir + ", provider=" + provider + ", device=" + deviceId + ", intraOpThreads=" + intraOpThreads + ", batch=" + maxBatchSize
        + ", maxWait=" + maxWait.toMillis() + "ms, maxAttempts=" + maxAttempts + ", outputThreads=" + outputThreads
        + ", queuedBatches=" + queuedBatches + ", ioAttempts=" + ioAttempts + ", ioBackoff=" + ioBackoff.toMillis()
        + ".." + ioBackoffMax.toMillis() + "ms, ioDeadline=" + ioDeadline.toMillis() + "ms, claims=" + claimDir + ", metricsPort=" + metricsPort + ", png=" + png
        + ", kafkaClient=" + masked(clientOverrides) + "]";
  }

  private static Map<String, String> masked(Map<String, String> props) {
    Map<String, String> out = new TreeMap<>();
    props.forEach((k, v) -> {
      String key = k.toLowerCase(Locale.ROOT);
      boolean secret = key.contains("password") || key.contains("secret") || key.contains("jaas") || key.endsWith(".key");
      out.put(k, secret ? "****" : v);
    });
    return out;
  }
}
