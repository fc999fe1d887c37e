package io.inkflow.common.deadletter;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers every dead letter carries beside its original key and value bytes, so that nothing is
 * lost and a replay tool can re-inject it where it came from.
 */
public final class DeadLetterHeaders {
  public static final String ERROR_CODE = "inkflow.error.code";
  public static final String ERROR_MESSAGE = "inkflow.error.message";
  public static final String ERROR_STAGE = "inkflow.error.stage";
  public static final String ERROR_ATTEMPTS = "inkflow.error.attempts";
  public static final String SOURCE_TOPIC = "inkflow.source.topic";
  public static final String SOURCE_PARTITION = "inkflow.source.partition";
  public static final String SOURCE_OFFSET = "inkflow.source.offset";

  /** Longest error message kept in a header; longer ones are cut with a marker. */
  static final int MAX_MESSAGE_CHARS = 4000;

  private DeadLetterHeaders() {}

  /**
   * Builds the dead-letter headers.
   *
   * @param code a precise machine-readable reason, e.g. DESERIALIZATION_FAILED, BLOCKED_CONTENT
   * @param message what was expected and what was found
   * @param stage the stage that gave up, e.g. pe-rewrite, generation-worker, reward-scoring
   * @param attempts how many times the record was tried
   */
  public static Headers of(String code, String message, String stage, int attempts, String sourceTopic, int sourcePartition, long sourceOffset) {
    Objects.requireNonNull(code, "code");
    String msg = message == null ? "" : message;
    if (msg.length() > MAX_MESSAGE_CHARS) {
      msg = msg.substring(0, MAX_MESSAGE_CHARS) + "…[truncated]";
    }
    RecordHeaders h = new RecordHeaders();
    h.add(ERROR_CODE, utf8(code));
    h.add(ERROR_MESSAGE, utf8(msg));
    h.add(ERROR_STAGE, utf8(Objects.requireNonNull(stage, "stage")));
    h.add(ERROR_ATTEMPTS, utf8(Integer.toString(attempts)));
    h.add(SOURCE_TOPIC, utf8(Objects.requireNonNull(sourceTopic, "sourceTopic")));
    h.add(SOURCE_PARTITION, utf8(Integer.toString(sourcePartition)));
    h.add(SOURCE_OFFSET, utf8(Long.toString(sourceOffset)));
    return h;
  }

  /** The last value of header {@code key} as a string, or null when absent. */
  public static String get(Headers headers, String key) {
    var h = headers.lastHeader(key);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
