package io.inkflow.infra.local;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.schemas.TopicSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

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
 * @param topics partition counts, replication factor and min ISR of the topics the stack creates (one
 *     broker: replication factor 1)
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
    TopicSettings topics,
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
    Objects.requireNonNull(topics, "topics");
  }

  /** A stack whose data topics all have {@code partitions} partitions, one replica each. */
  public LocalStackConfig(Path dataDir, int kafkaPort, int controllerPort, int registryPort, int s3Port, EmbeddedS3.Storage s3Storage,
      String bucket, String s3AccessKey, String s3SecretKey, String topicPrefix, int partitions, Duration startTimeout) {
    this(dataDir, kafkaPort, controllerPort, registryPort, s3Port, s3Storage, bucket, s3AccessKey, s3SecretKey, topicPrefix,
        TopicSettings.uniform(partitions), startTimeout);
  }

  /** Everything on free ports, in memory, in a temporary directory: what tests use. */
  public static LocalStackConfig ephemeral() {
    return new LocalStackConfig(null, 0, 0, 0, 0, EmbeddedS3.Storage.TRANSIENT, DEFAULT_BUCKET,
        "inkflow-local", "inkflow-local-secret", "", 3, Duration.ofSeconds(60));
  }

  public LocalStackConfig withTopicPrefix(String prefix) {
    return new LocalStackConfig(dataDir, kafkaPort, controllerPort, registryPort, s3Port, s3Storage, bucket,
        s3AccessKey, s3SecretKey, prefix, topics, startTimeout);
  }

  public LocalStackConfig withPartitions(int n) {
    return withTopics(TopicSettings.uniform(n));
  }

  public LocalStackConfig withTopics(TopicSettings settings) {
    return new LocalStackConfig(dataDir, kafkaPort, controllerPort, registryPort, s3Port, s3Storage, bucket,
        s3AccessKey, s3SecretKey, topicPrefix, settings, startTimeout);
  }

  /** The local stack's variables. */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_LOCAL_DATA_DIR", Type.STRING, null, Importance.HIGH,
          "keep Kafka logs, registry journal and S3 objects here across restarts; unset: a temporary directory, deleted on stop")
      .define("INKFLOW_KAFKA_PORT", Type.INT, 9092, ConfigDef.Range.between(0, 65535), Importance.MEDIUM, "broker port (0: a free one)")
      .define("INKFLOW_CONTROLLER_PORT", Type.INT, 9093, ConfigDef.Range.between(0, 65535), Importance.LOW,
          "KRaft controller port (0: a free one)")
      .define("INKFLOW_REGISTRY_PORT", Type.INT, 8081, ConfigDef.Range.between(0, 65535), Importance.MEDIUM,
          "schema registry port (0: a free one)")
      .define("INKFLOW_S3_PORT", Type.INT, 9000, ConfigDef.Range.between(0, 65535), Importance.MEDIUM, "S3 port (0: a free one)")
      .define("INKFLOW_S3_STORAGE", Type.STRING, null,
          EnvConfig.optional(ConfigDef.CaseInsensitiveValidString.in("transient", "filesystem")), Importance.MEDIUM,
          "transient (memory) or filesystem (under the data directory); unset: filesystem with a data directory, else transient")
      .define("INKFLOW_S3_BUCKET", Type.STRING, DEFAULT_BUCKET, Importance.MEDIUM, "the images bucket to create");

  /** Renamed variables still read for one release: the topic settings are the services' own ({@link TopicSettings}). */
  public static final List<EnvConfig.Alias> ALIASES = List.of(EnvConfig.Alias.renamed("INKFLOW_PARTITIONS", TopicSettings.PARTITIONS));

  /** Reads {@link #DEFINITION} and {@link TopicSettings#DEFINITION} from the environment. */
  public static LocalStackConfig fromEnv(Map<String, String> env) {
    EnvConfig c = new EnvConfig(SharedConfig.merge(DEFINITION, TopicSettings.DEFINITION), env, ALIASES);
    Path dataDir = c.getPath("INKFLOW_LOCAL_DATA_DIR");
    String storage = c.getString("INKFLOW_S3_STORAGE");
    EmbeddedS3.Storage s3Storage = storage == null
        ? (dataDir == null ? EmbeddedS3.Storage.TRANSIENT : EmbeddedS3.Storage.FILESYSTEM)
        : EmbeddedS3.Storage.valueOf(storage.toUpperCase(Locale.ROOT));
    return new LocalStackConfig(dataDir, c.getInt("INKFLOW_KAFKA_PORT"), c.getInt("INKFLOW_CONTROLLER_PORT"),
        c.getInt("INKFLOW_REGISTRY_PORT"), c.getInt("INKFLOW_S3_PORT"), s3Storage, c.getString("INKFLOW_S3_BUCKET"),
        "inkflow-local", "inkflow-local-secret", "", TopicSettings.from(c), Duration.ofSeconds(60));
  }
}
