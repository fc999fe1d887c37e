package io.inkflow.streams.scoring;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.inference.ocr.OcrModels;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.common.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Configuration of the reward-scoring application, read once from the environment.
 *
 * @param streams shared Streams settings (bootstrap, registry, state, threads, client overrides)
 * @param s3 object store of images and manifests ({@code INKFLOW_S3_*})
 * @param applicationId Kafka Streams application id ({@code INKFLOW_SCORING_APPLICATION_ID}, default inkflow-scoring)
 * @param rewardPackDir the reward pack ({@code INKFLOW_REWARD_PACK_DIR})
 * @param ocrModelsDir PP-OCRv4's files, for a pack that reads text with PP-OCR ({@code INKFLOW_OCR_MODELS}:
 *     the directory {@code scripts/models/fetch-ppocr} prints); null when not set
 * @param cudaDevice CUDA device for the reward pack, or -1 for CPU ({@code INKFLOW_DEVICE}: cpu | cuda | cuda:N)
 * @param settings batching, limits and timeouts ({@code INKFLOW_SCORING_BATCH_SIZE}, {@code _FLUSH_INTERVAL},
 *     {@code _MAX_PIXELS}, {@code _MAX_IMAGE_BYTES}, {@code _REQUEST_TIMEOUT}, {@code _TIMEOUT_CHECK_INTERVAL},
 *     {@code _RETENTION}, {@code _MIN_PAIR_MARGIN}, {@code _FETCH_THREADS}, {@code _BATCH_IDLE_TIMEOUT}; durations in ISO-8601)
 * @param overrides weights/thresholds that replace the pack's ({@code INKFLOW_SCORING_WEIGHT_AESTHETIC|ALIGNMENT|TEXT_RENDERING},
 *     {@code INKFLOW_SCORING_THRESHOLD_AESTHETIC|ALIGNMENT|TEXT_RENDERING|OVERALL}); keys absent keep the pack's value
 * @param http where /metrics, /healthz and /readyz are served ({@code INKFLOW_HTTP_BIND}, {@code INKFLOW_SCORING_HTTP_PORT}, default 0: off)
 */
public record ScoringConfig(StreamsSettings streams, S3Settings s3, String applicationId, Path rewardPackDir,
    Path ocrModelsDir, int cudaDevice, ScoringSettings settings, Map<String, Double> overrides, HttpSettings http) {

  public ScoringConfig {
    Objects.requireNonNull(streams, "streams");
    Objects.requireNonNull(s3, "s3");
    if (applicationId == null || applicationId.isBlank()) {
      throw new IllegalArgumentException("INKFLOW_SCORING_APPLICATION_ID is empty");
    }
    Objects.requireNonNull(rewardPackDir, "INKFLOW_REWARD_PACK_DIR is not set; expected the reward pack folder");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(http, "http");
    overrides = Map.copyOf(overrides);
  }

  private static final String[] OVERRIDES = {"WEIGHT_AESTHETIC", "WEIGHT_ALIGNMENT", "WEIGHT_TEXT_RENDERING",
      "THRESHOLD_AESTHETIC", "THRESHOLD_ALIGNMENT", "THRESHOLD_TEXT_RENDERING", "THRESHOLD_OVERALL"};

  /** The scoring app's own variables; it also reads the shared Kafka, streams, device and S3 ones. */
  public static final ConfigDef DEFINITION = definition();

  /** Everything the scoring app reads. */
  public static final ConfigDef ALL = SharedConfig.merge(SharedConfig.KAFKA, TopicSettings.DEFINITION, SharedConfig.HTTP, StreamsSettings.DEFINITION, SharedConfig.DEVICE_DEF,
      S3Settings.DEFINITION, DEFINITION);

  /** Renamed variables still read for one release. */
  public static final List<EnvConfig.Alias> ALIASES = List.of(StreamsSettings.ALIASES.get(0),
      EnvConfig.Alias.renamed("INKFLOW_SCORING_DEVICE", SharedConfig.DEVICE));

  private static ConfigDef definition() {
    ScoringSettings d = ScoringSettings.defaults();
    ConfigDef def = new ConfigDef()
        .define("INKFLOW_REWARD_PACK_DIR", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
            "the reward pack folder")
        .define(OcrModels.ENV, Type.STRING, null, EnvConfig.optional(new ConfigDef.NonEmptyString()), Importance.MEDIUM,
            "PP-OCRv4's model files (the directory scripts/models/fetch-ppocr prints), for a reward pack that reads text with"
                + " PP-OCR; checked against their pinned hashes at start, never downloaded")
        .define("INKFLOW_SCORING_APPLICATION_ID", Type.STRING, "inkflow-scoring", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
            "Kafka Streams application id")
        .define("INKFLOW_SCORING_HTTP_PORT", Type.INT, 0, ConfigDef.Range.between(0, 65535), Importance.MEDIUM,
            "port of /metrics (Kafka Streams client metrics and the stage's counters), /healthz and /readyz; 0: off")
        .define("INKFLOW_SCORING_BATCH_SIZE", Type.INT, d.batchSize(), ConfigDef.Range.between(1, 1024), Importance.MEDIUM,
            "images per reward-pack call")
        .define("INKFLOW_SCORING_FLUSH_INTERVAL", Type.STRING, d.flushInterval().toString(), EnvConfig.duration(Duration.ofMillis(1)),
            Importance.MEDIUM, "longest wait of a partial micro-batch")
        .define("INKFLOW_SCORING_FETCH_THREADS", Type.INT, d.fetchThreads(), ConfigDef.Range.between(1, 64), Importance.MEDIUM,
            "images of a micro-batch fetched and decoded at once, per stream task (the flush waits for all of them, so the work"
                + " stays inside the exactly-once commit)")
        .define("INKFLOW_SCORING_MAX_PIXELS", Type.LONG, d.maxPixels(), ConfigDef.Range.atLeast(1), Importance.MEDIUM,
            "images with more pixels are refused before decoding")
        .define("INKFLOW_SCORING_MAX_IMAGE_BYTES", Type.LONG, d.maxImageBytes(), ConfigDef.Range.atLeast(1), Importance.MEDIUM,
            "images larger than this are refused before they are read whole")
        .define("INKFLOW_SCORING_REQUEST_TIMEOUT", Type.STRING, d.requestTimeout().toString(), EnvConfig.duration(Duration.ofSeconds(1)),
            Importance.MEDIUM, "a request's deadline, from its first variant")
        .define("INKFLOW_SCORING_TIMEOUT_CHECK_INTERVAL", Type.STRING, d.timeoutCheckInterval().toString(),
            EnvConfig.duration(Duration.ofMillis(10)), Importance.LOW, "how often request deadlines are checked")
        .define("INKFLOW_SCORING_BATCH_IDLE_TIMEOUT", Type.STRING, d.batchIdleTimeout().toString(), EnvConfig.duration(Duration.ofSeconds(1)),
            Importance.MEDIUM, "an announced batch with no new result for this long is closed: its BatchResult says timedOut and counts"
                + " the missing requests (a submitter that died mid-batch)")
        .define("INKFLOW_SCORING_RETENTION", Type.STRING, d.retention().toString(), EnvConfig.duration(Duration.ofMinutes(1)),
            Importance.LOW, "how long seen jobIds and finished markers are kept")
        .define("INKFLOW_SCORING_MIN_PAIR_MARGIN", Type.DOUBLE, d.minPairMargin(), ConfigDef.Range.between(0, 1), Importance.MEDIUM,
            "smallest score margin that makes a preference pair");
    for (String k : OVERRIDES) {
      boolean weight = k.startsWith("WEIGHT");
      def.define("INKFLOW_SCORING_" + k, Type.DOUBLE, null,
          EnvConfig.optional(weight ? ConfigDef.Range.atLeast(0) : ConfigDef.Range.between(0, 1)),
          Importance.LOW, (weight ? "weight" : "threshold") + " replacing the reward pack's " + k.toLowerCase(Locale.ROOT).replace('_', ' '));
    }
    return def;
  }

  public static ScoringConfig fromEnv(Map<String, String> env) {
    EnvConfig c = new EnvConfig(ALL, env, ALIASES);
    ScoringSettings settings = new ScoringSettings(
        c.getInt("INKFLOW_SCORING_BATCH_SIZE"),
        c.getDuration("INKFLOW_SCORING_FLUSH_INTERVAL"),
        c.getLong("INKFLOW_SCORING_MAX_PIXELS"),
        c.getLong("INKFLOW_SCORING_MAX_IMAGE_BYTES"),
        c.getDuration("INKFLOW_SCORING_REQUEST_TIMEOUT"),
        c.getDuration("INKFLOW_SCORING_TIMEOUT_CHECK_INTERVAL"),
        c.getDuration("INKFLOW_SCORING_RETENTION"),
        c.getDouble("INKFLOW_SCORING_MIN_PAIR_MARGIN"),
        c.getInt("INKFLOW_SCORING_FETCH_THREADS"),
        c.getDuration("INKFLOW_SCORING_BATCH_IDLE_TIMEOUT"));
    Map<String, Double> overrides = new TreeMap<>();
    for (String k : OVERRIDES) {
      Double v = c.getDouble("INKFLOW_SCORING_" + k);
      if (v != null) {
        overrides.put(k, v);
      }
    }
    return new ScoringConfig(StreamsSettings.from(c), S3Settings.from(c), c.getString("INKFLOW_SCORING_APPLICATION_ID"),
        c.getPath("INKFLOW_REWARD_PACK_DIR"), c.getString(OcrModels.ENV) == null ? null : c.getPath(OcrModels.ENV),
        SharedConfig.cudaDevice(SharedConfig.DEVICE, c.getString(SharedConfig.DEVICE)),
        settings, overrides, new HttpSettings(c.getString(SharedConfig.HTTP_BIND), c.getInt("INKFLOW_SCORING_HTTP_PORT")));
  }

  /** The pack's weights and thresholds with this config's overrides applied. */
  public RewardPolicy policy(RewardPackManifest pack) {
    RewardPackManifest.Weights w = pack.weights();
    RewardPackManifest.Thresholds t = pack.thresholds();
    return new RewardPolicy(
        new RewardPackManifest.Weights(overrides.getOrDefault("WEIGHT_AESTHETIC", w.aesthetic()),
            overrides.getOrDefault("WEIGHT_ALIGNMENT", w.alignment()), overrides.getOrDefault("WEIGHT_TEXT_RENDERING", w.textRendering())),
        new RewardPackManifest.Thresholds(overrides.getOrDefault("THRESHOLD_AESTHETIC", t.aesthetic()),
            overrides.getOrDefault("THRESHOLD_ALIGNMENT", t.alignment()), overrides.getOrDefault("THRESHOLD_TEXT_RENDERING", t.textRendering()),
            overrides.getOrDefault("THRESHOLD_OVERALL", t.overall())));
  }
}
