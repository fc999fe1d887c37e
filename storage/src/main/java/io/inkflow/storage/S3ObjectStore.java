package io.inkflow.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * {@link ObjectStore} on one S3 bucket: PutObject, GetObject, ListObjectsV2, DeleteObject. The client is
 * injected ({@link S3Clients#create} builds it: endpoint, path-style, credentials, checksums) so tests
 * and the local stack can hand in their own; its owner closes it.
 */
public final class S3ObjectStore implements ObjectStore {
  private final S3Client s3;
  private final String bucket;

  /**
   * @param s3 the client (not closed here)
   * @param bucket the bucket keys are written to, listed in and deleted from
   */
  public S3ObjectStore(S3Client s3, String bucket) {
    this.s3 = Objects.requireNonNull(s3, "s3");
    this.bucket = Objects.requireNonNull(bucket, "bucket");
  }

  @Override
  public void put(String key, byte[] body, String contentType, Map<String, String> metadata) {
    s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType(contentType)
        .contentLength((long) body.length).metadata(metadata).build(), RequestBody.fromBytes(body));
  }

  @Override
  public void put(String key, Path file, String contentType) {
    s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType(contentType).build(), RequestBody.fromFile(file));
  }

  @Override
  public byte[] get(String uri, long maxBytes) {
    ObjectKeys.Location at;
    try {
      at = ObjectKeys.parse(uri);
    } catch (IllegalArgumentException e) {
      throw new ObjectMissingException(e.getMessage());
    }
    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(GetObjectRequest.builder().bucket(at.bucket()).key(at.key()).build())) {
      Long length = in.response().contentLength();
      if (length != null && length > maxBytes) {
        in.abort();
        throw new ObjectTooLargeException("expected at most " + maxBytes + " bytes at " + uri + ", found " + length);
      }
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (bytes.length > maxBytes) {
        throw new ObjectTooLargeException("expected at most " + maxBytes + " bytes at " + uri + ", found more");
      }
      return bytes;
    } catch (NoSuchKeyException | NoSuchBucketException e) {
      throw new ObjectMissingException("no object at " + uri + ": " + e.awsErrorDetails().errorCode());
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + uri + " failed", e);
    }
  }

  @Override
  public List<String> list(String prefix) {
    List<String> keys = new ArrayList<>();
    s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents()
        .forEach(o -> keys.add(o.key()));
    return keys;
  }

  @Override
  public void delete(String key) {
    s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(key).build());
  }

  @Override
  public String uri(String key) {
    return ObjectKeys.uri(bucket, key);
  }

  /** Connection failures, throttling and server errors are retried; other client errors (403, 404 bucket) are not. */
  @Override
  public boolean isRetryable(Throwable error) {
    if (error instanceof S3Exception e) {
      int status = e.statusCode();
      return status >= 500 || status == 429 || status == 408 || status == 0;
    }
    return error instanceof SdkClientException || (error instanceof SdkException e && e.retryable());
  }
}
