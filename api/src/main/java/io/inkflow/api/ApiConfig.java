package io.inkflow.api;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.labels.PairQueue;
import io.inkflow.streams.rewrite.PeLimits;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/**
 * Configuration of the API service, read once from the environment. Secrets (the webhook signing secret,
 * the token pepper) are {@link Type#PASSWORD}s: masked wherever the configuration is logged.
 */
public record ApiConfig(String bootstrapServers, String registryUrl, String topicPrefix, Map<String, String> clientOverrides,
    String bind, int port, HttpSettings http, Path tokensFile, byte[] tokenPepper, int ratePerMinute, long maxBodyBytes, int maxRows,
    Path packDir, PeLimits peLimits, S3Settings s3, Duration linkExpiry, String instanceId, byte[] webhookSecret,
    List<String> webhookAllowedHosts, boolean webhookAllowPrivate, Duration webhookBackoff, Duration webhookBackoffMax,
    Duration webhookRetryWindow, Duration webhookTimeout, int webhookThreads, PairQueue.Settings labels) {

  /** The API's own variables. */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_API_BIND", Type.STRING, "127.0.0.1", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "address the API binds; in a pod its own IP (the manifests set it from status.podIP)")
      .define("INKFLOW_API_PORT", Type.INT, 8088, ConfigDef.Range.between(0, 65535), Importance.HIGH, "the API's port (0: a free one)")
      .define("INKFLOW_API_HTTP_PORT", Type.INT, 0, ConfigDef.Range.between(0, 65535), Importance.MEDIUM,
          "port of /metrics, /healthz and /readyz; 0: off")
      .define("INKFLOW_PACK_DIR", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "the deployed model pack: uploads are planned with the PE stage's own planner for it (manifest and tokenizer only)")
      .define("INKFLOW_API_TOKENS_FILE", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "file of API tokens, one per line: name roles(viewer,submitter,annotator) hash [requests-per-minute]; hash = "
              + "HMAC-SHA256(pepper, token) in hex, or SHA-256 without a pepper (scripts/api --hash-token prints it)")
      .define("INKFLOW_API_TOKEN_PEPPER", Type.PASSWORD, null, Importance.MEDIUM,
          "secret key of the token hashes (HMAC-SHA256); unset: plain SHA-256")
      .define("INKFLOW_API_RATE_LIMIT", Type.INT, 600, ConfigDef.Range.between(1, 1_000_000), Importance.MEDIUM,
          "requests per minute per token (bursts up to as many), unless the token's line sets its own")
      .define("INKFLOW_API_MAX_BODY_BYTES", Type.LONG, 32L << 20, ConfigDef.Range.between(1024, 1L << 31), Importance.MEDIUM,
          "largest request body; larger answers 413")
      .define("INKFLOW_API_MAX_ROWS", Type.INT, 100_000, ConfigDef.Range.between(1, 10_000_000), Importance.MEDIUM,
          "most requests in one batch upload")
      .define("INKFLOW_API_LINK_EXPIRY", Type.STRING, "PT15M", EnvConfig.duration(Duration.ofSeconds(1)), Importance.MEDIUM,
          "lifetime of the presigned image and manifest URLs the API hands out")
      .define("INKFLOW_API_INSTANCE_ID", Type.STRING, "inkflow-api-0", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "this instance's id, unique per replica (its Kafka transactional id is derived from it; a pod's ordinal suits)")
      .define("INKFLOW_API_WEBHOOK_SECRET", Type.PASSWORD, null, Importance.HIGH,
          "signing secret of webhook events (HMAC-SHA256, at least 16 bytes); unset: callback URLs are refused")
      .define("INKFLOW_API_WEBHOOK_ALLOWED_HOSTS", Type.LIST, "", Importance.MEDIUM,
          "callback hosts allowed (exact names or *.domain); empty: any host whose addresses are public")
      .define("INKFLOW_API_WEBHOOK_ALLOW_PRIVATE", Type.BOOLEAN, false, Importance.MEDIUM,
          "allow callbacks to loopback and private addresses (link-local and cloud metadata addresses stay refused)")
      .define("INKFLOW_API_WEBHOOK_BACKOFF", Type.STRING, "PT10S", EnvConfig.duration(Duration.ofMillis(1)), Importance.LOW,
          "delay after the first failed delivery, doubled after each further one")
      .define("INKFLOW_API_WEBHOOK_BACKOFF_MAX", Type.STRING, "PT1H", EnvConfig.duration(Duration.ofMillis(1)), Importance.LOW,
          "longest delay between delivery attempts")
      .define("INKFLOW_API_WEBHOOK_RETRY_WINDOW", Type.STRING, "PT24H", EnvConfig.duration(Duration.ofSeconds(1)), Importance.LOW,
          "how long after the first attempt a failing delivery is retried before it is recorded as given up")
      .define("INKFLOW_API_WEBHOOK_TIMEOUT", Type.STRING, "PT10S", EnvConfig.duration(Duration.ofMillis(1)), Importance.LOW,
          "one delivery attempt's connect and answer deadline")
      .define("INKFLOW_API_WEBHOOK_THREADS", Type.INT, 4, ConfigDef.Range.between(1, 256), Importance.LOW,
          "delivery attempts in flight at once");

  /** Everything the API reads. */
  public static final ConfigDef ALL = SharedConfig.merge(SharedConfig.KAFKA, TopicSettings.DEFINITION, SharedConfig.HTTP,
      S3Settings.DEFINITION, PeLimits.DEFINITION, PairQueue.DEFINITION, DEFINITION);

  public static ApiConfig fromEnv(Map<String, String> env) {
    EnvConfig c = new EnvConfig(ALL, env);
    Password pepper = c.getPassword("INKFLOW_API_TOKEN_PEPPER");
    Password secret = c.getPassword("INKFLOW_API_WEBHOOK_SECRET");
    byte[] secretBytes = secret == null ? null : secret.value().getBytes(StandardCharsets.UTF_8);
    if (secretBytes != null && secretBytes.length < 16) {
      throw new IllegalArgumentException("INKFLOW_API_WEBHOOK_SECRET is shorter than 16 bytes");
    }
    return new ApiConfig(c.getString(SharedConfig.BOOTSTRAP_SERVERS), c.getString(SharedConfig.REGISTRY_URL),
        c.getString(SharedConfig.TOPIC_PREFIX), c.prefixed(SharedConfig.KAFKA_CLIENT_PREFIX),
        c.getString("INKFLOW_API_BIND"), c.getInt("INKFLOW_API_PORT"),
        new HttpSettings(c.getString(SharedConfig.HTTP_BIND), c.getInt("INKFLOW_API_HTTP_PORT")),
        Path.of(c.getString("INKFLOW_API_TOKENS_FILE")), pepper == null ? null : pepper.value().getBytes(StandardCharsets.UTF_8),
        c.getInt("INKFLOW_API_RATE_LIMIT"), c.getLong("INKFLOW_API_MAX_BODY_BYTES"), c.getInt("INKFLOW_API_MAX_ROWS"),
        Path.of(c.getString("INKFLOW_PACK_DIR")), PeLimits.from(c), S3Settings.from(c), c.getDuration("INKFLOW_API_LINK_EXPIRY"),
        c.getString("INKFLOW_API_INSTANCE_ID"), secretBytes, c.getList("INKFLOW_API_WEBHOOK_ALLOWED_HOSTS"),
        c.getBoolean("INKFLOW_API_WEBHOOK_ALLOW_PRIVATE"), c.getDuration("INKFLOW_API_WEBHOOK_BACKOFF"),
        c.getDuration("INKFLOW_API_WEBHOOK_BACKOFF_MAX"), c.getDuration("INKFLOW_API_WEBHOOK_RETRY_WINDOW"),
        c.getDuration("INKFLOW_API_WEBHOOK_TIMEOUT"), c.getInt("INKFLOW_API_WEBHOOK_THREADS"), PairQueue.Settings.from(c));
  }

  /** Secrets masked: the log line of the configuration. */
  @Override
  public String toString() {
    return "ApiConfig[bootstrap=" + bootstrapServers + ", registry=" + registryUrl.replaceAll("//[^/@]*@", "//****@") + ", prefix="
        + topicPrefix + ", listen=" + bind + ":" + port + ", tokens=" + tokensFile + ", pepper=" + (tokenPepper == null ? "none" : "****")
        + ", rate=" + ratePerMinute + "/min, maxBody=" + maxBodyBytes + ", maxRows=" + maxRows + ", pack=" + packDir + ", s3=" + s3
        + ", linkExpiry=" + linkExpiry + ", instance=" + instanceId + ", webhookSecret=" + (webhookSecret == null ? "none" : "****")
        + ", webhookHosts=" + webhookAllowedHosts + ", allowPrivate=" + webhookAllowPrivate + ", backoff=" + webhookBackoff + ".."
        + webhookBackoffMax + ", window=" + webhookRetryWindow + ", timeout=" + webhookTimeout + ", labels=" + labels + "]";
  }
}
