package io.inkflow.workers.generate;

import java.util.Map;

/** Where PNGs go. {@link S3ImageStore} in production; tests hand in their own. */
public interface ImageStore {
  /**
   * Stores (or overwrites) an object.
   *
   * @param metadata user metadata stored with the object
   * @throws RuntimeException when the store fails; {@link #isRetryable} says whether to try again
   */
  void put(String key, byte[] png, Map<String, String> metadata);

  /** The object's URI, e.g. {@code s3://bucket/key}. */
  String uri(String key);

  /** Whether a failure of {@link #put} may succeed when tried again. */
  default boolean isRetryable(Throwable error) {
    return true;
  }
}
