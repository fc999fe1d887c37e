package io.inkflow.infra.local;

import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3Settings;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
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

  /** The S3 settings of the local server: path-style, explicit credentials. */
  public S3Settings s3Settings() {
    return S3Settings.local(s3Endpoint, bucket, s3AccessKey, s3SecretKey);
  }

  /** An S3 client for the local server. */
  public S3Client s3Client() {
    return S3Clients.create(s3Settings());
  }

  /** Never prints the secret key. */
  @Override
  public String toString() {
    return "ConnectionSettings[bootstrap=" + bootstrapServers + ", registry=" + registryUrl + ", s3=" + s3Endpoint
        + ", bucket=" + bucket + ", accessKey=" + s3AccessKey + ", secretKey=****]";
  }
}
