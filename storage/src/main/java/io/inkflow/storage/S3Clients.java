package io.inkflow.storage;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/** Builds S3 clients from {@link S3Settings}; the one place the AWS SDK is configured. */
public final class S3Clients {
  private S3Clients() {}

  /**
   * A synchronous client. Checksums are computed and validated only where S3 requires them, which
   * keeps S3-compatible servers (s3proxy, MinIO, Ceph) that predate the SDK's default happy.
   */
  public static S3Client create(S3Settings settings) {
    S3ClientBuilder b = S3Client.builder()
        .region(Region.of(settings.region()))
        .forcePathStyle(settings.pathStyle())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    b.credentialsProvider(credentials(settings));
    return b.build();
  }

  /**
   * A presigner with the same endpoint, region, addressing and credentials as {@link #create}: links it
   * signs open the objects the services wrote, for as long as the caller asks.
   */
  public static S3Presigner presigner(S3Settings settings) {
    S3Presigner.Builder b = S3Presigner.builder()
        .region(Region.of(settings.region()))
        .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(settings.pathStyle()).build());
    if (settings.endpoint() != null) {
      b.endpointOverride(settings.endpoint());
    }
    b.credentialsProvider(credentials(settings));
    return b.build();
  }

  /** The settings' static key pair when one is set, else the SDK's default chain (environment, profile, instance role). */
  private static AwsCredentialsProvider credentials(S3Settings settings) {
    return settings.accessKey() != null
        ? StaticCredentialsProvider.create(AwsBasicCredentials.create(settings.accessKey(), settings.secretKey()))
        : DefaultCredentialsProvider.builder().build();
  }
}
