package io.inkflow.streams.common;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.common.health.StartupCheck;
import io.inkflow.schemas.StartupChecks;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings every inkflow Streams application shares, read from the environment.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@code INKFLOW_BOOTSTRAP_SERVERS})
 * @param registryUrl schema registry URL(s) ({@code INKFLOW_REGISTRY_URL})
 * @param stateDir where RocksDB state lives ({@code INKFLOW_STATE_DIR}; unset: Kafka's temp dir)
 * @param topicPrefix prefix of every topic name ({@code INKFLOW_TOPIC_PREFIX}, default "")
 * @param threads stream threads ({@code INKFLOW_STREAM_THREADS}, default 1)
 * @param commitIntervalMs commit interval under exactly-once ({@code INKFLOW_COMMIT_INTERVAL}, default PT0.1S)
 * @param clientOverrides extra Kafka client properties: every {@code INKFLOW_KAFKA_CLIENT_X_Y=v} becomes
 *     {@code x.y=v} (e.g. {@code INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL}); registry properties
 *     ({@code INKFLOW_REGISTRY_CLIENT_BASIC_AUTH_USER_INFO}, …) likewise become {@code basic.auth.user.info}
 * @param topics the deployment's partition counts, replication factor and min ISR ({@link TopicSettings}); the
 *     replication factor and min ISR also apply to the app's changelog and repartition topics
 */
public record StreamsSettings(String bootstrapServers, String registryUrl, Path stateDir, String topicPrefix,
    int threads, int commitIntervalMs, Map<String, String> clientOverrides, Map<String, String> registryOverrides,
    TopicSettings topics) {
  private static final String INTERNAL_MIN_ISR = StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);

  public StreamsSettings {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("INKFLOW_BOOTSTRAP_SERVERS is empty; expected host:port[,host:port]");
    }
    if (registryUrl == null || registryUrl.isBlank()) {
      throw new IllegalArgumentException("INKFLOW_REGISTRY_URL is empty; expected e.g. http://127.0.0.1:8081");
    }
    if (threads < 1 || threads > 64) {
      throw new IllegalArgumentException("INKFLOW_STREAM_THREADS must be 1..64, found " + threads);
    }
    if (commitIntervalMs < 1) {
      throw new IllegalArgumentException("INKFLOW_COMMIT_INTERVAL must be at least 1 ms, found " + commitIntervalMs + " ms");
    }
    topicPrefix = topicPrefix == null ? "" : topicPrefix;
    Objects.requireNonNull(topics, "topics");
    refuseConflict(clientOverrides, StreamsConfig.REPLICATION_FACTOR_CONFIG, topics.replicationFactor(), TopicSettings.REPLICATION_FACTOR);
    refuseConflict(clientOverrides, INTERNAL_MIN_ISR, topics.minInsyncReplicas(), TopicSettings.MIN_ISR);
    clientOverrides = Map.copyOf(clientOverrides);
    registryOverrides = Map.copyOf(registryOverrides);
  }

  /** Settings with the default topic settings (one broker: replication factor 1). */
  public StreamsSettings(String bootstrapServers, String registryUrl, Path stateDir, String topicPrefix,
      int threads, int commitIntervalMs, Map<String, String> clientOverrides, Map<String, String> registryOverrides) {
    this(bootstrapServers, registryUrl, stateDir, topicPrefix, threads, commitIntervalMs, clientOverrides, registryOverrides,
        TopicSettings.defaults());
  }

  private static void refuseConflict(Map<String, String> clientOverrides, String property, int value, String variable) {
    String given = clientOverrides.get(property);
    if (given != null && !given.trim().equals(Integer.toString(value))) {
      throw new IllegalArgumentException(SharedConfig.KAFKA_CLIENT_PREFIX + property.toUpperCase(Locale.ROOT).replace('.', '_')
          + "=" + given + " contradicts " + variable + "=" + value + "; set " + variable + " only");
    }
  }

  /** The variables every streams app reads besides {@link SharedConfig#KAFKA} and {@link TopicSettings#DEFINITION}. */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_STATE_DIR", Type.STRING, null, Importance.HIGH,
          "where the app keeps its RocksDB state; the launchers default it under the local data directory")
      .define("INKFLOW_STREAM_THREADS", Type.INT, 1, ConfigDef.Range.between(1, 64), Importance.MEDIUM, "stream threads")
      .define("INKFLOW_COMMIT_INTERVAL", Type.STRING, "PT0.1S", EnvConfig.duration(Duration.ofMillis(1)), Importance.LOW,
          "commit interval under exactly-once: each commit ends a transaction, so this bounds end-to-end latency");

  /** Renamed variables still read for one release. */
  public static final List<EnvConfig.Alias> ALIASES = List.of(EnvConfig.Alias.millis("INKFLOW_COMMIT_INTERVAL_MS", "INKFLOW_COMMIT_INTERVAL"));

  public static StreamsSettings fromEnv(Map<String, String> env) {
    return from(new EnvConfig(SharedConfig.merge(SharedConfig.KAFKA, TopicSettings.DEFINITION, DEFINITION), env, ALIASES));
  }

  /**
   * Reads the shared Kafka variables, {@link TopicSettings#DEFINITION}'s and {@link #DEFINITION}'s from a
   * service's configuration that includes them.
   */
  public static StreamsSettings from(EnvConfig config) {
    return new StreamsSettings(
        config.getString(SharedConfig.BOOTSTRAP_SERVERS),
        config.getString(SharedConfig.REGISTRY_URL),
        config.getPath("INKFLOW_STATE_DIR"),
        config.getString(SharedConfig.TOPIC_PREFIX),
        config.getInt("INKFLOW_STREAM_THREADS"),
        (int) config.getDuration("INKFLOW_COMMIT_INTERVAL").toMillis(),
        config.prefixed(SharedConfig.KAFKA_CLIENT_PREFIX),
        config.prefixed(SharedConfig.REGISTRY_CLIENT_PREFIX),
        TopicSettings.from(config));
  }

  /** Admin client settings for the start-up topic check: the bootstrap servers and the client overrides (security). */
  public Map<String, Object> adminProperties() {
    Map<String, Object> p = new TreeMap<>(clientOverrides);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return p;
  }

  /**
   * What must hold before a streams app starts: {@code used} exist and the registry answers. Partition counts
   * are checked by {@link #partitionCheck}.
   */
  public List<StartupCheck> startupChecks(List<Topic<?, ?>> used, RestSchemaRegistryClient registry) {
    return List.of(StartupChecks.topics(adminProperties(), used, null), StartupChecks.registry(registry));
  }

  /**
   * The source topics {@code names} have the partition counts of {@link #topics}: Streams would otherwise run one
   * task per partition of the larger one, and co-partitioned topics would no longer meet. A mismatch keeps the
   * app unready, saying how to fix it, until the settings or the topics are fixed.
   */
  public StartupCheck partitionCheck(Topics catalogue, Collection<String> names) {
    return StartupChecks.partitions(adminProperties(), catalogue, names);
  }

  /** The registry client settings: URL plus overrides such as basic auth. */
  public RegistryClientConfig registry() {
    Map<String, Object> props = new TreeMap<>(registryOverrides);
    props.put(RegistryClientConfig.URL, registryUrl);
    return RegistryClientConfig.fromMap(props);
  }

  /**
   * Streams properties for {@code applicationId}: exactly-once v2, this app's threads and state, and the
   * deployment's replication factor and min ISR for the changelog and repartition topics Streams creates.
   */
  public Properties streamsProperties(String applicationId) {
    Properties p = new Properties();
    p.putAll(clientOverrides);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    // Internal topics hold state the app cannot rebuild elsewhere: as durable as the data topics.
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) topics.replicationFactor());
    p.put(INTERNAL_MIN_ISR, Integer.toString(topics.minInsyncReplicas()));
    // Throughput defaults, each replaceable through INKFLOW_KAFKA_CLIENT_*: the stages fan out (four jobs
    // that nest one request), so large lz4 batches carry far fewer bytes; exactly-once flushes on every
    // commit anyway, so a short linger only keeps latency low when traffic is light.
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    if (stateDir != null) {
      p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    }
    return p;
  }

  /** For the start-up log line: secrets masked. */
  @Override
  public String toString() {
    return "StreamsSettings[bootstrap=" + bootstrapServers + ", registry=" + registryUrl + ", stateDir=" + stateDir
        + ", topicPrefix='" + topicPrefix + "', topics=" + topics + ", threads=" + threads + ", commitIntervalMs=" + commitIntervalMs
        + ", kafka=" + EnvConfig.masked(clientOverrides) + ", registryOverrides=" + EnvConfig.masked(registryOverrides) + "]";
  }

}
