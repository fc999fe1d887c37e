package io.inkflow.streams.scoring;

/**
 * Where the scoring stream reads images and writes manifests: S3 in production ({@link S3ImageStore}),
 * an in-memory map in tests.
 */
public interface ImageStore {

  /**
   * The bytes at {@code uri}, at most {@code maxBytes} of them.
   *
   * @throws ImageMissingException when there is no object at {@code uri} or the URI is unusable
   * @throws RuntimeException on an outage (the task fails and exactly-once replays it)
   */
  byte[] fetch(String uri, long maxBytes);

  /**
   * Uploads the JSON Lines file {@code jsonl} as {@code manifests/{batchId}/manifest.jsonl} (overwriting
   * it) and returns its s3:// URI. A file, so that a batch of any size is never held in memory.
   */
  String putManifest(String batchId, java.nio.file.Path jsonl);

  /** An image that is not there, or a URI that cannot name one: the image counts as FAILED. */
  final class ImageMissingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageMissingException(String message) {
      super(message);
    }
  }

  /** An object larger than the configured limit: refused before it is read into memory. */
  final class ImageTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ImageTooLargeException(String message) {
      super(message);
    }
  }
}
