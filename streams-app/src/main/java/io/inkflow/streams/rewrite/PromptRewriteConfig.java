package io.inkflow.streams.rewrite;

import io.inkflow.streams.common.StreamsSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;

/**
 * Configuration of the PE-rewrite application, read once from the environment.
 *
 * @param streams shared Streams settings (bootstrap, registry, state, threads, client overrides)
 * @param applicationId Kafka Streams application id ({@code INKFLOW_PE_APPLICATION_ID})
 * @param packDir the deployed model pack whose manifest decides sizes, steps and guidance ({@code INKFLOW_PACK_DIR})
 * @param limits request limits, blocklist and invisible-character policy
 * @param idempotencyRetention how long a requestId is remembered ({@code INKFLOW_PE_IDEMPOTENCY_RETENTION}, ISO-8601, default P7D)
 */
public record PromptRewriteConfig(StreamsSettings streams, String applicationId, Path packDir, PeLimits limits,
    Duration idempotencyRetention) {

  public PromptRewriteConfig {
    Objects.requireNonNull(streams, "streams");
    if (applicationId == null || applicationId.isBlank()) {
      throw new IllegalArgumentException("INKFLOW_PE_APPLICATION_ID is empty");
    }
    Objects.requireNonNull(packDir, "INKFLOW_PACK_DIR is not set; expected the model pack folder");
    Objects.requireNonNull(limits, "limits");
    if (idempotencyRetention.isNegative() || idempotencyRetention.isZero()) {
      throw new IllegalArgumentException("INKFLOW_PE_IDEMPOTENCY_RETENTION must be positive, found " + idempotencyRetention);
    }
  }

  /**
   * Reads {@code INKFLOW_PACK_DIR}, {@code INKFLOW_PE_APPLICATION_ID}, {@code INKFLOW_PE_IDEMPOTENCY_RETENTION},
   * {@code INKFLOW_PE_MAX_NUM_IMAGES}, {@code INKFLOW_PE_MAX_PROMPT_CHARS}, {@code INKFLOW_PE_INVISIBLE_CHARS}
   * (strip|refuse), {@code INKFLOW_PE_BLOCKLIST} (comma-separated) and {@code INKFLOW_PE_BLOCKLIST_FILE}
   * (one term per line, # comments), plus the shared Streams settings.
   */
  public static PromptRewriteConfig fromEnv(Map<String, String> env) {
    PeLimits limits = PeLimits.fromEnv(env);
    String retention = env.getOrDefault("INKFLOW_PE_IDEMPOTENCY_RETENTION", "P7D");
    Duration ret;
    try {
      ret = Duration.parse(retention.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("INKFLOW_PE_IDEMPOTENCY_RETENTION: expected an ISO-8601 duration such as P7D, found '" + retention + "'", e);
    }
    String pack = env.get("INKFLOW_PACK_DIR");
    return new PromptRewriteConfig(StreamsSettings.fromEnv(env),
        env.getOrDefault("INKFLOW_PE_APPLICATION_ID", "inkflow-pe-rewrite"),
        pack == null || pack.isBlank() ? null : Path.of(pack), limits, ret);
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
