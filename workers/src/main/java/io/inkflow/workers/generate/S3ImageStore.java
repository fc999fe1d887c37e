package io.inkflow.workers.generate;

import io.inkflow.storage.ObjectKeys;
import java.util.Map;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Stores PNGs in one S3 bucket. The client is injected so tests and the local stack can hand in their own. */
public final class S3ImageStore implements ImageStore {
  private final S3Client s3;
  private final String bucket;

  public S3ImageStore(S3Client s3, String bucket) {
    this.s3 = s3;
    this.bucket = bucket;
  }

  @Override
  public void put(String key, byte[] png, Map<String, String> metadata) {
    s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType("image/png")
        .contentLength((long) png.length).metadata(metadata).build(), RequestBody.fromBytes(png));
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
