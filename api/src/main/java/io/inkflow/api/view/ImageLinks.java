package io.inkflow.api.view;

import io.inkflow.storage.ObjectKeys;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Short-lived links to stored objects (images, manifests): an {@code s3://bucket/key} URI becomes a
 * presigned GET URL that expires after the configured time, so callers fetch images without S3
 * credentials and a leaked link stops working soon.
 */
public interface ImageLinks {
  /** A presigned URL and when it expires. */
  record Link(URI url, Instant expiresAt) {}

  /** A link for {@code s3Uri}, or empty when it is not an S3 URI. */
  Optional<Link> link(String s3Uri);

  /** Links signed by the AWS SDK's presigner. */
  static ImageLinks presigned(S3Presigner presigner, Duration expiry, Clock clock) {
    return s3Uri -> {
      if (s3Uri == null || !s3Uri.startsWith("s3://")) {
        return Optional.empty();
      }
      ObjectKeys.Location where = ObjectKeys.parse(s3Uri);
      Instant expires = clock.instant().plus(expiry);
      URI url = URI.create(presigner.presignGetObject(r -> r.signatureDuration(expiry)
          .getObjectRequest(g -> g.bucket(where.bucket()).key(where.key()))).url().toString());
      return Optional.of(new Link(url, expires));
    };
  }
}
