package io.inkflow.workers.generate;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.storage.S3Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;

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
 * @param provider execution provider (from {@code INKFLOW_DEVICE}: cpu, cuda or cuda:N, default cpu)
 * @param deviceId CUDA device (the N of {@code INKFLOW_DEVICE=cuda:N}); run one process per GPU
 * @param intraOpThreads ONNX Runtime threads per operator ({@code INKFLOW_WORKER_INTRA_OP_THREADS}, default 0:
 *     ONNX Runtime's choice, one per core). On a CPU host it is the share of the cores inference takes;
 *     the rest are left to the output threads and the clients
 * @param maxBatchSize most jobs per inference call ({@code INKFLOW_WORKER_BATCH_SIZE}, default 4)
 * @param maxWait longest a partial batch waits for company ({@code INKFLOW_WORKER_MAX_WAIT}, default PT0.2S)
 * @param maxAttempts attempts per job before it is dead-lettered ({@code INKFLOW_WORKER_MAX_ATTEMPTS}, default 3)
 * @param outputThreads threads that PNG-encode, upload and produce ({@code INKFLOW_WORKER_OUTPUT_THREADS}, default 2)
 * @param queuedBatches batches waiting for the accelerator before polling pauses ({@code INKFLOW_WORKER_QUEUED_BATCHES}, default 2)
 * @param ioAttempts attempts of one S3 upload or produce ({@code INKFLOW_WORKER_IO_ATTEMPTS}, default 8)
 * @param ioBackoff first retry delay, doubled up to {@code ioBackoffMax} ({@code INKFLOW_WORKER_IO_BACKOFF}, default PT0.2S)
 * @param ioBackoffMax longest retry delay ({@code INKFLOW_WORKER_IO_BACKOFF_MAX}, default PT5S)
 * @param ioDeadline how long a retryable S3 or produce error keeps being retried after the
 *     {@code ioAttempts} are used ({@code INKFLOW_WORKER_IO_DEADLINE}, default PT10M): an outage holds the
 *     rendered image, and through the bounded queues the consumer, instead of failing the job
 * @param claimDir folder of the crash claims, or null for none ({@code INKFLOW_WORKER_CLAIM_DIR})
 * @param http where /metrics, /healthz and /readyz are served ({@code INKFLOW_HTTP_BIND}, default 127.0.0.1;
 *     {@code INKFLOW_WORKER_HTTP_PORT}, formerly {@code INKFLOW_WORKER_METRICS_PORT}, default 0: off)
 * @param png PNG encoder ({@code INKFLOW_WORKER_PNG}: {@code standard} = deflate 6 + adaptive filters, or
 *     {@code fast} = deflate 1 + Sub, several times faster and a few percent larger; default standard).
 *     A job's bytes and sha256 are deterministic for a given setting.
 * @param drainTimeout how long a shutdown or a revocation waits for started work (renders in progress and
 *     handed to the inference thread, their deliveries and commits) before leaving it to the next owner
 *     ({@code INKFLOW_WORKER_DRAIN_TIMEOUT}, default PT60S); a pod's termination grace period must cover it,
 *     the longest batch and {@link GenerationWorkerMain#EXIT_MARGIN} (docs/deploy.md)
 * @param clientOverrides extra Kafka client properties for the consumer and producer: every
 *     {@code INKFLOW_KAFKA_CLIENT_X_Y=v} becomes {@code x.y=v} (e.g. {@code INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL})
 */
public record WorkerConfig(String bootstrapServers, String registryUrl, String topicPrefix, String groupId, String workerId,
    S3Settings s3, Path packDir, ExecutionProvider provider, int deviceId, int intraOpThreads, int maxBatchSize, Duration maxWait,
    int maxAttempts, int outputThreads, int queuedBatches, int ioAttempts, Duration ioBackoff, Duration ioBackoffMax,
    Duration ioDeadline, Path claimDir, HttpSettings http, PngMode png, Duration drainTimeout, Map<String, String> clientOverrides) {

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
    require(deviceId >= 0, "INKFLOW_DEVICE", ">= 0", deviceId);
    require(intraOpThreads >= 0 && intraOpThreads <= 1024, "INKFLOW_WORKER_INTRA_OP_THREADS", "0..1024 (0: ONNX Runtime's choice)", intraOpThreads);
    require(maxBatchSize >= 1 && maxBatchSize <= 256, "INKFLOW_WORKER_BATCH_SIZE", "1..256", maxBatchSize);
    require(maxWait != null && !maxWait.isNegative(), "INKFLOW_WORKER_MAX_WAIT", ">= 0", maxWait);
    require(maxAttempts >= 1 && maxAttempts <= 100, "INKFLOW_WORKER_MAX_ATTEMPTS", "1..100", maxAttempts);
    require(outputThreads >= 1 && outputThreads <= 64, "INKFLOW_WORKER_OUTPUT_THREADS", "1..64", outputThreads);
    require(queuedBatches >= 1 && queuedBatches <= 64, "INKFLOW_WORKER_QUEUED_BATCHES", "1..64", queuedBatches);
    require(ioAttempts >= 1 && ioAttempts <= 100, "INKFLOW_WORKER_IO_ATTEMPTS", "1..100", ioAttempts);
    require(ioBackoff != null && !ioBackoff.isNegative(), "INKFLOW_WORKER_IO_BACKOFF", ">= 0", ioBackoff);
    require(ioBackoffMax != null && ioBackoffMax.compareTo(ioBackoff) >= 0, "INKFLOW_WORKER_IO_BACKOFF_MAX", ">= the first backoff", ioBackoffMax);
    require(ioDeadline != null && !ioDeadline.isNegative(), "INKFLOW_WORKER_IO_DEADLINE", ">= 0", ioDeadline);
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(png, "png");
    require(drainTimeout != null && !drainTimeout.isNegative(), "INKFLOW_WORKER_DRAIN_TIMEOUT", ">= 0", drainTimeout);
    clientOverrides = Map.copyOf(clientOverrides);
  }

  /** The worker's own variables; it also reads {@link SharedConfig#KAFKA}, the device and the S3 ones. */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_PACK_DIR", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "the model pack folder")
      .define("INKFLOW_WORKER_GROUP_ID", Type.STRING, "inkflow-generation-workers", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "consumer group of the workers")
      .define("INKFLOW_WORKER_ID", Type.STRING, null, Importance.LOW, "this worker's id on results; unset: host name + a random suffix")
      .define("INKFLOW_WORKER_INTRA_OP_THREADS", Type.INT, 0, ConfigDef.Range.between(0, 1024), Importance.MEDIUM,
          "ONNX Runtime threads per operator; on a CPU host, the cores inference takes (the rest serve the output threads and"
              + " clients); 0: ONNX Runtime's choice, one per core")
      .define("INKFLOW_WORKER_BATCH_SIZE", Type.INT, 4, ConfigDef.Range.between(1, 256), Importance.HIGH, "most jobs per inference call")
      .define("INKFLOW_WORKER_MAX_WAIT", Type.STRING, "PT0.2S", EnvConfig.DURATION, Importance.MEDIUM,
          "longest a partial batch waits for company")
      .define("INKFLOW_WORKER_MAX_ATTEMPTS", Type.INT, 3, ConfigDef.Range.between(1, 100), Importance.MEDIUM,
          "attempts per job before it is dead-lettered")
      .define("INKFLOW_WORKER_OUTPUT_THREADS", Type.INT, 2, ConfigDef.Range.between(1, 64), Importance.MEDIUM,
          "threads that PNG-encode, upload and produce")
      .define("INKFLOW_WORKER_QUEUED_BATCHES", Type.INT, 2, ConfigDef.Range.between(1, 64), Importance.MEDIUM,
          "batches waiting for the accelerator before polling pauses")
      .define("INKFLOW_WORKER_IO_ATTEMPTS", Type.INT, 8, ConfigDef.Range.between(1, 100), Importance.LOW,
          "attempts of one upload or produce before the deadline below takes over")
      .define("INKFLOW_WORKER_IO_BACKOFF", Type.STRING, "PT0.2S", EnvConfig.DURATION, Importance.LOW,
          "first retry delay of an upload or produce, doubled each time")
      .define("INKFLOW_WORKER_IO_BACKOFF_MAX", Type.STRING, "PT5S", EnvConfig.DURATION, Importance.LOW, "longest retry delay")
      .define("INKFLOW_WORKER_IO_DEADLINE", Type.STRING, "PT10M", EnvConfig.DURATION, Importance.MEDIUM,
          "a retryable upload or produce error keeps being retried, after those attempts, until this long after the first try:"
              + " an outage holds the image (and, through the bounded queues, polling) instead of spending the job's attempts")
      .define("INKFLOW_WORKER_CLAIM_DIR", Type.STRING, null, Importance.MEDIUM,
          "folder of crash claims, on a volume that outlives the process; unset: crash detection off")
      .define("INKFLOW_WORKER_HTTP_PORT", Type.INT, 0, ConfigDef.Range.between(0, 65535), Importance.MEDIUM,
          "port of /metrics (images, batch sizes, stage timers, queue depth, retries, dead letters, accelerator busy fraction,"
              + " Kafka client metrics), /healthz and /readyz; 0: off")
      .define("INKFLOW_WORKER_PNG", Type.STRING, "standard", ConfigDef.CaseInsensitiveValidString.in("standard", "fast"),
          Importance.LOW, "standard (deflate 6, adaptive filters) or fast (deflate 1, Sub: several times faster, about 2 % larger)")
      .define("INKFLOW_WORKER_DRAIN_TIMEOUT", Type.STRING, "PT60S", EnvConfig.DURATION, Importance.MEDIUM,
          "how long a shutdown or a revocation waits for started renders to be delivered and committed before leaving"
              + " them to the next owner; a pod's termination grace period must cover it plus the longest batch (docs/deploy.md)");

  /** Everything the worker reads. */
  public static final ConfigDef ALL = SharedConfig.merge(SharedConfig.KAFKA, TopicSettings.DEFINITION, SharedConfig.HTTP, SharedConfig.DEVICE_DEF, S3Settings.DEFINITION, DEFINITION);

  /** Renamed variables still read for one release. */
  public static final List<EnvConfig.Alias> ALIASES = List.of(
      EnvConfig.Alias.millis("INKFLOW_WORKER_MAX_WAIT_MS", "INKFLOW_WORKER_MAX_WAIT"),
      EnvConfig.Alias.millis("INKFLOW_WORKER_IO_BACKOFF_MS", "INKFLOW_WORKER_IO_BACKOFF"),
      EnvConfig.Alias.millis("INKFLOW_WORKER_IO_BACKOFF_MAX_MS", "INKFLOW_WORKER_IO_BACKOFF_MAX"),
      EnvConfig.Alias.millis("INKFLOW_WORKER_IO_DEADLINE_MS", "INKFLOW_WORKER_IO_DEADLINE"),
      EnvConfig.Alias.renamed("INKFLOW_EXECUTION_PROVIDER", SharedConfig.DEVICE),
      EnvConfig.Alias.renamed("INKFLOW_WORKER_METRICS_PORT", "INKFLOW_WORKER_HTTP_PORT"));

  /** Reads the configuration from environment variables ({@link #ALL}). */
  public static WorkerConfig fromEnv(Map<String, String> env) {
    EnvConfig c = new EnvConfig(ALL, withDeviceId(env), ALIASES);
    int cuda = SharedConfig.cudaDevice(SharedConfig.DEVICE, c.getString(SharedConfig.DEVICE));
    String workerId = c.getString("INKFLOW_WORKER_ID");
    return new WorkerConfig(
        c.getString(SharedConfig.BOOTSTRAP_SERVERS),
        c.getString(SharedConfig.REGISTRY_URL),
        c.getString(SharedConfig.TOPIC_PREFIX),
        c.getString("INKFLOW_WORKER_GROUP_ID"),
        workerId == null ? defaultWorkerId() : workerId,
        S3Settings.from(c),
        c.getPath("INKFLOW_PACK_DIR"),
        cuda < 0 ? ExecutionProvider.CPU : ExecutionProvider.CUDA,
        Math.max(0, cuda),
        c.getInt("INKFLOW_WORKER_INTRA_OP_THREADS"),
        c.getInt("INKFLOW_WORKER_BATCH_SIZE"),
        c.getDuration("INKFLOW_WORKER_MAX_WAIT"),
        c.getInt("INKFLOW_WORKER_MAX_ATTEMPTS"),
        c.getInt("INKFLOW_WORKER_OUTPUT_THREADS"),
        c.getInt("INKFLOW_WORKER_QUEUED_BATCHES"),
        c.getInt("INKFLOW_WORKER_IO_ATTEMPTS"),
        c.getDuration("INKFLOW_WORKER_IO_BACKOFF"),
        c.getDuration("INKFLOW_WORKER_IO_BACKOFF_MAX"),
        c.getDuration("INKFLOW_WORKER_IO_DEADLINE"),
        c.getPath("INKFLOW_WORKER_CLAIM_DIR"),
        new HttpSettings(c.getString(SharedConfig.HTTP_BIND), c.getInt("INKFLOW_WORKER_HTTP_PORT")),
        PngMode.parse(c.getString("INKFLOW_WORKER_PNG")),
        c.getDuration("INKFLOW_WORKER_DRAIN_TIMEOUT"),
        c.prefixed(SharedConfig.KAFKA_CLIENT_PREFIX));
  }

  /**
   * The old pair {@code INKFLOW_EXECUTION_PROVIDER=cuda} + {@code INKFLOW_DEVICE_ID=N} is one value now,
   * {@code INKFLOW_DEVICE=cuda:N}: while only the old pair is set, it is read as that (with the alias's WARN).
   */
  private static Map<String, String> withDeviceId(Map<String, String> env) {
    String provider = env.get("INKFLOW_EXECUTION_PROVIDER");
    String id = env.get("INKFLOW_DEVICE_ID");
    if (provider == null || provider.isBlank() || id == null || id.isBlank()
        || ExecutionProvider.parse(provider) != ExecutionProvider.CUDA) {
      return env;
    }
    Map<String, String> out = new HashMap<>(env);
    out.put("INKFLOW_EXECUTION_PROVIDER", "cuda:" + id.trim());
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
        + ".." + ioBackoffMax.toMillis() + "ms, ioDeadline=" + ioDeadline.toMillis() + "ms, claims=" + claimDir
        + ", http=" + http.bind() + ":" + http.port() + ", png=" + png + ", drain=" + drainTimeout
        + ", kafkaClient=" + masked(clientOverrides) + "]";
  }

  private static Map<String, String> masked(Map<String, String> props) {
    Map<String, String> out = new TreeMap<>();
    props.forEach((k, v) -> {
      out.put(k, EnvConfig.isSecret(k) ? "****" : v);
    });
    return out;
  }
}
