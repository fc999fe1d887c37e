package io.inkflow.infra.local;

import static io.inkflow.streams.common.StreamsSettings.Env.intValue;

import io.inkflow.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the local stack, read once from the environment.
 *
 * @param dataDir where Kafka logs, registry journal and (FILESYSTEM) S3 objects live; null for a
 *     temporary directory deleted on close
 * @param kafkaPort broker port (0: free)
 * @param controllerPort KRaft controller port (0: free)
 * @param registryPort schema registry port (0: free)
 * @param s3Port S3 port (0: free)
 * @param s3Storage TRANSIENT (memory) or FILESYSTEM (under dataDir/s3)
 * @param bucket the images bucket to create
 * @param s3AccessKey access key the local S3 server accepts
 * @param s3SecretKey secret key the local S3 server accepts
 * @param topicPrefix prefix of every topic name ("" in normal use)
 * @param partitions partitions of each data topic
 * @param startTimeout how long the broker may take to answer
 */
public record LocalStackConfig(
    Path dataDir,
    int kafkaPort,
    int controllerPort,
    int registryPort,
    int s3Port,
    EmbeddedS3.Storage s3Storage,
    String bucket,
    String s3AccessKey,
    String s3SecretKey,
    String topicPrefix,
    int partitions,
    Duration startTimeout) {

  public static final String DEFAULT_BUCKET = "inkflow-images";

  public LocalStackConfig {
    for (int port : new int[] {kafkaPort, controllerPort, registryPort, s3Port}) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0..65535, found " + port);
      }
    }
    Objects.requireNonNull(s3Storage, "s3Storage");
    if (s3Storage == EmbeddedS3.Storage.FILESYSTEM && dataDir == null) {
      throw new IllegalArgumentException("FILESYSTEM S3 storage needs a data directory (INKFLOW_LOCAL_DATA_DIR)");
    }
    if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("bucket must be a valid S3 bucket name, found '" + bucket + "'");
    }
    Objects.requireNonNull(topicPrefix, "topicPrefix");
    if (partitions < 1 || partitions > 64) {
      throw new IllegalArgumentException("partitions must be 1..64, found " + partitions);
    }
  }

  /** Everything on free ports, in memory, in a temporary directory: what tests use. */
  public static LocalStackConfig ephemeral() {
    return new LocalStackConfig(null, 0, 0, 0, 0, EmbeddedS3.Storage.TRANSIENT, DEFAULT_BUCKET,
        "inkflow-local", "inkflow-local-secret", "", 3, Duration.ofSeconds(60));
  }

  public LocalStackConfig withTopicPrefix(String prefix) {
    return new LocalStackConfig(dataDir, kafkaPort, controllerPort, registryPort, s3Port, s3Storage, bucket,
        s3AccessKey, s3SecretKey, prefix, partitions, startTimeout);
  }

  public LocalStackConfig withPartitions(int n) {
    return new LocalStackConfig(dataDir, kafkaPort, controllerPort, registryPort, s3Port, s3Storage, bucket,
        s3AccessKey, s3SecretKey, topicPrefix, n, startTimeout);
  }

  /**
   * Reads {@code INKFLOW_LOCAL_DATA_DIR}, {@code INKFLOW_KAFKA_PORT}, {@code INKFLOW_CONTROLLER_PORT},
   * {@code INKFLOW_REGISTRY_PORT}, {@code INKFLOW_S3_PORT}, {@code INKFLOW_S3_STORAGE},
   * {@code INKFLOW_S3_BUCKET}, {@code INKFLOW_PARTITIONS}. A data directory defaults S3 to FILESYSTEM.
   */
  public static LocalStackConfig fromEnv(Map<String, String> env) {
    String dir = env.get("INKFLOW_LOCAL_DATA_DIR");
    Path dataDir = dir == null || dir.isBlank() ? null : Path.of(dir);
    String storage = env.getOrDefault("INKFLOW_S3_STORAGE", dataDir == null ? "transient" : "filesystem");
    EmbeddedS3.Storage s3Storage;
    try {
      s3Storage = EmbeddedS3.Storage.valueOf(storage.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("INKFLOW_S3_STORAGE: expected transient or filesystem, found '" + storage + "'", e);
    }
    return new LocalStackConfig(
        dataDir,
        intValue(env, "INKFLOW_KAFKA_PORT", 9092),
        intValue(env, "INKFLOW_CONTROLLER_PORT", 9093),
        intValue(env, "INKFLOW_REGISTRY_PORT", 8081),
        intValue(env, "INKFLOW_S3_PORT", 9000),
        s3Storage,
        env.getOrDefault("INKFLOW_S3_BUCKET", DEFAULT_BUCKET),
        "inkflow-local",
        "inkflow-local-secret",
        "",
        intValue(env, "INKFLOW_PARTITIONS", Topics.DEFAULT_PARTITIONS),
        Duration.ofSeconds(60));
  }
}
