package io.inkflow.storage;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The object store every service writes to and reads from: generated images (worker), images to score
 * and batch manifests (scoring stream), exported datasets (exporter). Keys name objects in the store's
 * bucket ({@link ObjectKeys} builds them); reads take the {@code s3://bucket/key} URI an event carries.
 * {@link S3ObjectStore} in production; tests hand in their own.
 *
 * <p>Any method may throw a {@link RuntimeException} when the store fails; {@link #isRetryable} says
 * whether trying again may help.
 */
public interface ObjectStore {

  /**
   * Stores (or overwrites) an object.
   *
   * @param contentType its MIME type, e.g. {@code image/png}
   * @param metadata user metadata stored with it (values travel as HTTP headers: see {@link ObjectKeys#toMetadata})
   */
  void put(String key, byte[] body, String contentType, Map<String, String> metadata);

  /**
   * Stores (or overwrites) an object from a file, streamed: a manifest of any size is never held in
   * memory.
   */
  void put(String key, Path file, String contentType);

  /**
   * The bytes of the object at {@code uri}, at most {@code maxBytes} of them.
   *
   * @param uri {@code s3://bucket/key}, as an event carries it
   * @throws ObjectMissingException when there is no object at {@code uri} or the URI cannot name one
   * @throws ObjectTooLargeException when the object is larger than {@code maxBytes}: refused before it is
   *     read into memory when its size is known
   */
  byte[] get(String uri, long maxBytes);

  /** The keys under {@code prefix}, in key order. */
  List<String> list(String prefix);

  /** Deletes the object at {@code key}; nothing happens when there is none. */
  void delete(String key);

  /** The object's URI, {@code s3://bucket/key}. */
  String uri(String key);

  /** Whether a failure of this store may succeed when tried again (an outage, throttling) or never will. */
  boolean isRetryable(Throwable error);
}
