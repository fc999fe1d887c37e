package io.inkflow.common.deadletter;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * A dead letter, built one way for every stage: the original key and value bytes unchanged, the
 * original record's headers in order, then the {@link DeadLetterHeaders} that say what failed, where,
 * and where the record came from — so nothing is lost and {@code submit replay} can re-inject it.
 *
 * @param key the original key bytes (may be null)
 * @param value the original value bytes (may be null: a tombstone)
 * @param headers original headers followed by the {@code inkflow.error.*} and {@code inkflow.source.*} ones
 */
public record DeadLetter(byte[] key, byte[] value, Headers headers) {

  /**
   * @param originalHeaders the consumed record's headers (may be null)
   * @param code a precise machine-readable reason, e.g. DESERIALIZATION_FAILED, INVALID_UTF8
   * @param message what was expected and what was found
   * @param stage the stage that gave up, e.g. pe-rewrite, generation-worker, reward-scoring
   * @param attempts how many times the record was tried
   */
  public static DeadLetter of(byte[] key, byte[] value, Iterable<Header> originalHeaders, String code, String message, String stage,
      int attempts, String sourceTopic, int sourcePartition, long sourceOffset) {
    RecordHeaders headers = new RecordHeaders();
    if (originalHeaders != null) {
      originalHeaders.forEach(headers::add);
    }
    DeadLetterHeaders.of(code, message, stage, attempts, sourceTopic, sourcePartition, sourceOffset).forEach(headers::add);
    return new DeadLetter(key, value, headers);
  }

  /** The producer-side form: this letter as a record for {@code deadLetterTopic}. */
  public ProducerRecord<byte[], byte[]> toProducerRecord(String deadLetterTopic) {
    return new ProducerRecord<>(deadLetterTopic, null, key, value, headers);
  }
}
