package io.inkflow.streams.rewrite;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.streams.common.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Configuration of the PE-rewrite application, read once from the environment.
 *
 * @param streams shared Streams settings (bootstrap, registry, state, threads, client overrides)
 * @param applicationId Kafka Streams application id ({@code INKFLOW_PE_APPLICATION_ID})
 * @param packDir the deployed model pack whose manifest decides sizes, steps and guidance ({@code INKFLOW_PACK_DIR})
 * @param limits request limits, blocklist and invisible-character policy
 * @param idempotencyRetention how long a requestId is remembered ({@code INKFLOW_PE_IDEMPOTENCY_RETENTION}, ISO-8601, default P7D)
 * @param http where /metrics, /healthz and /readyz are served ({@code INKFLOW_HTTP_BIND}, {@code INKFLOW_PE_HTTP_PORT}, default 0: off)
 */
public record PromptRewriteConfig(StreamsSettings streams, String applicationId, Path packDir, PeLimits limits,
    Duration idempotencyRetention, HttpSettings http) {

  public PromptRewriteConfig {
    Objects.requireNonNull(streams, "streams");
    if (applicationId == null || applicationId.isBlank()) {
      throw new IllegalArgumentException("INKFLOW_PE_APPLICATION_ID is empty");
    }
    Objects.requireNonNull(packDir, "INKFLOW_PACK_DIR is not set; expected the model pack folder");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(http, "http");
    if (idempotencyRetention.isNegative() || idempotencyRetention.isZero()) {
      throw new IllegalArgumentException("INKFLOW_PE_IDEMPOTENCY_RETENTION must be positive, found " + idempotencyRetention);
    }
  }

  /** The PE app's own variables; it also reads {@link SharedConfig#KAFKA}, {@link StreamsSettings#DEFINITION} and {@link PeLimits#DEFINITION}. */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_PACK_DIR", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "the deployed model pack (only its manifest and tokenizer are read)")
      .define("INKFLOW_PE_APPLICATION_ID", Type.STRING, "inkflow-pe-rewrite", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "Kafka Streams application id")
      .define("INKFLOW_PE_IDEMPOTENCY_RETENTION", Type.STRING, "P7D", EnvConfig.duration(Duration.ofSeconds(1)), Importance.MEDIUM,
          "how long a requestId is remembered for deduplication")
      .define("INKFLOW_PE_HTTP_PORT", Type.INT, 0, ConfigDef.Range.between(0, 65535), Importance.MEDIUM,
          "port of /metrics (Kafka Streams client metrics and the stage's counters), /healthz and /readyz; 0: off");

  /** Everything the PE app reads. */
  public static final ConfigDef ALL = SharedConfig.merge(SharedConfig.KAFKA, TopicSettings.DEFINITION, SharedConfig.HTTP, StreamsSettings.DEFINITION, DEFINITION, PeLimits.DEFINITION);

  public static PromptRewriteConfig fromEnv(Map<String, String> env) {
    EnvConfig c = new EnvConfig(ALL, env, StreamsSettings.ALIASES);
    return new PromptRewriteConfig(StreamsSettings.from(c), c.getString("INKFLOW_PE_APPLICATION_ID"), c.getPath("INKFLOW_PACK_DIR"),
        PeLimits.from(c), c.getDuration("INKFLOW_PE_IDEMPOTENCY_RETENTION"),
        new HttpSettings(c.getString(SharedConfig.HTTP_BIND), c.getInt("INKFLOW_PE_HTTP_PORT")));
  }

  /** For the start-up log line; the blocklist is summarised, never printed. */
  @Override
  public String toString() {
    return "PromptRewriteConfig[" + streams + ", applicationId=" + applicationId + ", pack=" + packDir
        + ", idempotencyRetention=" + idempotencyRetention + ", maxNumImages=" + limits.maxNumImages()
        + ", maxPromptChars=" + limits.maxPromptChars() + ", invisibleChars=" + limits.invisibleChars()
        + ", blocklistTerms=" + limits.blocklist().size() + "]";
  }
}
