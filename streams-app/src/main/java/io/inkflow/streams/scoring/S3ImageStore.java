package io.inkflow.streams.scoring;

import io.inkflow.storage.ObjectKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/** {@link ImageStore} on S3: plain GetObject for images, PutObject for manifests. */
public final class S3ImageStore implements ImageStore {
  private final S3Client s3;
  private final String manifestBucket;

  /**
   * @param s3 the client (not closed here: its owner closes it)
   * @param manifestBucket bucket the manifests go to
   */
  public S3ImageStore(S3Client s3, String manifestBucket) {
    this.s3 = s3;
    this.manifestBucket = manifestBucket;
  }

  @Override
  public byte[] fetch(String uri, long maxBytes) {
    ObjectKeys.Location at;
    try {
      at = ObjectKeys.parse(uri);
    } catch (IllegalArgumentException e) {
      throw new ImageMissingException(e.getMessage());
    }
    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(GetObjectRequest.builder().bucket(at.bucket()).key(at.key()).build())) {
      Long length = in.response().contentLength();
      if (length != null && length > maxBytes) {
        in.abort();
        throw new ImageTooLargeException("expected at most " + maxBytes + " bytes at " + uri + ", found " + length);
      }
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (bytes.length > maxBytes) {
        throw new ImageTooLargeException("expected at most " + maxBytes + " bytes at " + uri + ", found more");
      }
      return bytes;
    } catch (NoSuchKeyException | NoSuchBucketException e) {
      throw new ImageMissingException("no object at " + uri + ": " + e.awsErrorDetails().errorCode());
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + uri + " failed", e);
    }
  }

  @Override
  public String putManifest(String batchId, java.nio.file.Path jsonl) {
    String key = ObjectKeys.manifest(batchId);
    s3.putObject(PutObjectRequest.builder().bucket(manifestBucket).key(key).contentType("application/x-ndjson").build(),
        RequestBody.fromFile(jsonl));
    return ObjectKeys.uri(manifestBucket, key);
  }
}
