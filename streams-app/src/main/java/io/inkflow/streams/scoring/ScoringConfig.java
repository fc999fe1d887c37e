package io.inkflow.streams.scoring;

import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.storage.S3Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the reward-scoring application, read once from the environment.
 *
 * @param streams shared Streams settings (bootstrap, registry, state, threads, client overrides)
 * @param s3 object store of images and manifests ({@code INKFLOW_S3_*})
 * @param applicationId Kafka Streams application id ({@code INKFLOW_SCORING_APPLICATION_ID}, default inkflow-scoring)
 * @param rewardPackDir the reward pack ({@code INKFLOW_REWARD_PACK_DIR})
 * @param cudaDevice CUDA device for the reward pack, or -1 for CPU ({@code INKFLOW_SCORING_DEVICE}: cpu | cuda | cuda:N)
 * @param settings batching, limits and timeouts ({@code INKFLOW_SCORING_BATCH_SIZE}, {@code _FLUSH_INTERVAL},
 *     {@code _MAX_PIXELS}, {@code _MAX_IMAGE_BYTES}, {@code _REQUEST_TIMEOUT}, {@code _TIMEOUT_CHECK_INTERVAL},
 *     {@code _RETENTION}, {@code _MIN_PAIR_MARGIN}, {@code _FETCH_THREADS}, {@code _BATCH_IDLE_TIMEOUT}; durations in ISO-8601)
 * @param overrides weights/thresholds that replace the pack's ({@code INKFLOW_SCORING_WEIGHT_AESTHETIC|ALIGNMENT|TEXT_RENDERING},
 *     {@code INKFLOW_SCORING_THRESHOLD_AESTHETIC|ALIGNMENT|TEXT_RENDERING|OVERALL}); keys absent keep the pack's value
 */
public record ScoringConfig(StreamsSettings streams, S3Settings s3, String applicationId, Path rewardPackDir,
    int cudaDevice, ScoringSettings settings, Map<String, Double> overrides) {

  public ScoringConfig {
    Objects.requireNonNull(streams, "streams");
    Objects.requireNonNull(s3, "s3");
    if (applicationId == null || applicationId.isBlank()) {
      throw new IllegalArgumentException("INKFLOW_SCORING_APPLICATION_ID is empty");
    }
    Objects.requireNonNull(rewardPackDir, "INKFLOW_REWARD_PACK_DIR is not set; expected the reward pack folder");
    Objects.requireNonNull(settings, "settings");
    overrides = Map.copyOf(overrides);
  }

  public static ScoringConfig fromEnv(Map<String, String> env) {
    ScoringSettings d = ScoringSettings.defaults();
    ScoringSettings settings = new ScoringSettings(
        StreamsSettings.Env.intValue(env, "INKFLOW_SCORING_BATCH_SIZE", d.batchSize()),
        duration(env, "INKFLOW_SCORING_FLUSH_INTERVAL", d.flushInterval()),
        longValue(env, "INKFLOW_SCORING_MAX_PIXELS", d.maxPixels()),
        longValue(env, "INKFLOW_SCORING_MAX_IMAGE_BYTES", d.maxImageBytes()),
        duration(env, "INKFLOW_SCORING_REQUEST_TIMEOUT", d.requestTimeout()),
        duration(env, "INKFLOW_SCORING_TIMEOUT_CHECK_INTERVAL", d.timeoutCheckInterval()),
        duration(env, "INKFLOW_SCORING_RETENTION", d.retention()),
        doubleValue(env, "INKFLOW_SCORING_MIN_PAIR_MARGIN", d.minPairMargin()),
        StreamsSettings.Env.intValue(env, "INKFLOW_SCORING_FETCH_THREADS", d.fetchThreads()),
        duration(env, "INKFLOW_SCORING_BATCH_IDLE_TIMEOUT", d.batchIdleTimeout()));
    Map<String, Double> overrides = new java.util.TreeMap<>();
    for (String k : new String[] {"WEIGHT_AESTHETIC", "WEIGHT_ALIGNMENT", "WEIGHT_TEXT_RENDERING", "THRESHOLD_AESTHETIC",
        "THRESHOLD_ALIGNMENT", "THRESHOLD_TEXT_RENDERING", "THRESHOLD_OVERALL"}) {
      String v = env.get("INKFLOW_SCORING_" + k);
      if (v != null && !v.isBlank()) {
        double x = doubleValue(env, "INKFLOW_SCORING_" + k, 0);
        if (x < 0 || (k.startsWith("THRESHOLD") && x > 1)) {
          throw new IllegalArgumentException("INKFLOW_SCORING_" + k + ": expected a weight >= 0 or a threshold in [0, 1], found " + v);
        }
        overrides.put(k, x);
      }
    }
    String device = env.getOrDefault("INKFLOW_SCORING_DEVICE", "cpu").trim().toLowerCase(Locale.ROOT);
    int cuda;
    if (device.equals("cpu")) {
      cuda = -1;
    } else if (device.equals("cuda")) {
      cuda = 0;
    } else if (device.startsWith("cuda:")) {
      cuda = Integer.parseInt(device.substring(5));
    } else {
      throw new IllegalArgumentException("INKFLOW_SCORING_DEVICE: expected cpu, cuda or cuda:N, found '" + device + "'");
    }
    String pack = env.get("INKFLOW_REWARD_PACK_DIR");
    return new ScoringConfig(StreamsSettings.fromEnv(env), S3Settings.fromEnv(env),
        env.getOrDefault("INKFLOW_SCORING_APPLICATION_ID", "inkflow-scoring"),
        pack == null || pack.isBlank() ? null : Path.of(pack), cuda, settings, overrides);
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

  private static Duration duration(Map<String, String> env, String key, Duration dflt) {
    String v = env.get(key);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Duration.parse(v.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(key + ": expected an ISO-8601 duration such as PT10M, found '" + v + "'", e);
    }
  }

  private static long longValue(Map<String, String> env, String key, long dflt) {
    String v = env.get(key);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Long.parseLong(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": expected an integer, found '" + v + "'", e);
    }
  }

  private static double doubleValue(Map<String, String> env, String key, double dflt) {
    String v = env.get(key);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": expected a number, found '" + v + "'", e);
    }
  }
}
