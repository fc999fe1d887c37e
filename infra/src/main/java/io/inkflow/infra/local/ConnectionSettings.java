package io.inkflow.infra.local;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * How a client reaches the local stack: what {@code scripts/local-up} prints and what services read
 * from their environment.
 */
public record ConnectionSettings(
    String bootstrapServers, String registryUrl, URI s3Endpoint, String bucket, String s3AccessKey, String s3SecretKey) {

  /** The settings as the environment variables the inkflow services read. */
  public Map<String, String> asEnv() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("INKFLOW_BOOTSTRAP_SERVERS", bootstrapServers);
    env.put("INKFLOW_REGISTRY_URL", registryUrl);
    env.put("INKFLOW_S3_ENDPOINT", s3Endpoint.toString());
    env.put("INKFLOW_S3_BUCKET", bucket);
    env.put("INKFLOW_S3_PATH_STYLE", "true");
    env.put("AWS_REGION", "us-east-1");
    env.put("AWS_ACCESS_KEY_ID", s3AccessKey);
    env.put("AWS_SECRET_ACCESS_KEY", s3SecretKey);
    return env;
  }

  /** An S3 client for the local server: path-style, static credentials, checksums only where required. */
  public S3Client s3Client() {
    return S3Client.builder()
        .endpointOverride(s3Endpoint)
        .region(Region.US_EAST_1)
        .forcePathStyle(true)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3AccessKey, s3SecretKey)))
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  /** Never prints the secret key. */
  @Override
  public String toString() {
    return "ConnectionSettings[bootstrap=" + bootstrapServers + ", registry=" + registryUrl + ", s3=" + s3Endpoint
        + ", bucket=" + bucket + ", accessKey=" + s3AccessKey + ", secretKey=****]";
  }
}
