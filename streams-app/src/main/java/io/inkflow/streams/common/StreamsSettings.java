package io.inkflow.streams.common;

import io.inkflow.schemas.registry.RegistryClientConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings every inkflow Streams application shares, read from the environment.
 *
 * @param bootstrapServers Kafka bootstrap servers ({@code INKFLOW_BOOTSTRAP_SERVERS})
 * @param registryUrl schema registry URL(s) ({@code INKFLOW_REGISTRY_URL})
 * @param stateDir where RocksDB state lives ({@code INKFLOW_STATE_DIR}; default: Kafka's temp dir)
 * @param topicPrefix prefix of every topic name ({@code INKFLOW_TOPIC_PREFIX}, default "")
 * @param threads stream threads ({@code INKFLOW_STREAM_THREADS}, default 1)
 * @param commitIntervalMs commit interval under exactly-once ({@code INKFLOW_COMMIT_INTERVAL_MS}, default 100)
 * @param clientOverrides extra Kafka client properties: every {@code INKFLOW_KAFKA_CLIENT_X_Y=v} becomes
 *     {@code x.y=v} (e.g. {@code INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL}); registry properties
 *     ({@code INKFLOW_REGISTRY_CLIENT_BASIC_AUTH_USER_INFO}, …) likewise become {@code basic.auth.user.info}
 */
public record StreamsSettings(String bootstrapServers, String registryUrl, Path stateDir, String topicPrefix,
    int threads, int commitIntervalMs, Map<String, String> clientOverrides, Map<String, String> registryOverrides) {

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
      throw new IllegalArgumentException("INKFLOW_COMMIT_INTERVAL_MS must be >= 1, found " + commitIntervalMs);
    }
    topicPrefix = topicPrefix == null ? "" : topicPrefix;
    clientOverrides = Map.copyOf(clientOverrides);
    registryOverrides = Map.copyOf(registryOverrides);
  }

  public static StreamsSettings fromEnv(Map<String, String> env) {
    String state = env.get("INKFLOW_STATE_DIR");
    return new StreamsSettings(
        env.get("INKFLOW_BOOTSTRAP_SERVERS"),
        env.get("INKFLOW_REGISTRY_URL"),
        state == null || state.isBlank() ? null : Path.of(state),
        env.getOrDefault("INKFLOW_TOPIC_PREFIX", ""),
        Env.intValue(env, "INKFLOW_STREAM_THREADS", 1),
        Env.intValue(env, "INKFLOW_COMMIT_INTERVAL_MS", 100),
        Env.prefixed(env, "INKFLOW_KAFKA_CLIENT_"),
        Env.prefixed(env, "INKFLOW_REGISTRY_CLIENT_"));
  }

  /** The registry client settings: URL plus overrides such as basic auth. */
  public RegistryClientConfig registry() {
    Map<String, Object> props = new TreeMap<>(registryOverrides);
    props.put(RegistryClientConfig.URL, registryUrl);
    return RegistryClientConfig.fromMap(props);
  }

  /** Streams properties for {@code applicationId}: exactly-once v2, this app's threads and state. */
  public Properties streamsProperties(String applicationId) {
    Properties p = new Properties();
    p.putAll(clientOverrides);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    // One broker locally; production clusters may set INKFLOW_KAFKA_CLIENT_REPLICATION_FACTOR.
    p.putIfAbsent(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
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
        + ", topicPrefix='" + topicPrefix + "', threads=" + threads + ", commitIntervalMs=" + commitIntervalMs
        + ", kafka=" + Env.masked(clientOverrides) + ", registryOverrides=" + Env.masked(registryOverrides) + "]";
  }

  /** Helpers for reading environment variables. */
  public static final class Env {
    private Env() {}

    public static int intValue(Map<String, String> env, String key, int dflt) {
      String v = env.get(key);
      if (v == null || v.isBlank()) {
        return dflt;
      }
      try {
        return Integer.parseInt(v.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + ": expected an integer, found '" + v + "'", e);
      }
    }

    /** {@code PREFIX_A_B=v} → {@code a.b=v}. */
    public static Map<String, String> prefixed(Map<String, String> env, String prefix) {
      Map<String, String> out = new TreeMap<>();
      env.forEach((k, v) -> {
        if (k.startsWith(prefix) && k.length() > prefix.length()) {
          out.put(k.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
        }
      });
      return out;
    }

    /** Values of keys that look secret replaced by ****. */
    public static Map<String, String> masked(Map<String, String> props) {
      Map<String, String> out = new TreeMap<>();
      props.forEach((k, v) -> out.put(k, isSecret(k) ? "****" : v));
      return out;
    }

    public static boolean isSecret(String key) {
      String k = key.toLowerCase(Locale.ROOT);
      return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("user.info")
          || k.contains("credential") || k.contains("token") || k.endsWith(".key");
    }
  }
}
