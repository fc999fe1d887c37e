package io.inkflow.storage;

import java.net.URI;
import java.util.Map;
import java.util.Objects;

/**
 * How a service reaches its object store, read once from the environment.
 *
 * @param endpoint endpoint override ({@code INKFLOW_S3_ENDPOINT}), or null for AWS's own endpoints
 * @param bucket the images bucket ({@code INKFLOW_S3_BUCKET}, default {@code inkflow-images})
 * @param region the region ({@code AWS_REGION}, default us-east-1)
 * @param pathStyle path-style addressing ({@code INKFLOW_S3_PATH_STYLE}; true whenever an endpoint is set,
 *     as S3-compatible servers expect)
 * @param accessKey explicit access key ({@code INKFLOW_S3_ACCESS_KEY}), or null for the AWS default
 *     credentials chain (environment, profile, container or instance role)
 * @param secretKey explicit secret key ({@code INKFLOW_S3_SECRET_KEY}); never printed
 */
public record S3Settings(URI endpoint, String bucket, String region, boolean pathStyle, String accessKey, String secretKey) {
  public static final String DEFAULT_BUCKET = "inkflow-images";

  public S3Settings {
    if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("INKFLOW_S3_BUCKET: expected a valid S3 bucket name, found '" + bucket + "'");
    }
    Objects.requireNonNull(region, "region");
    if ((accessKey == null) != (secretKey == null)) {
      throw new IllegalArgumentException("INKFLOW_S3_ACCESS_KEY and INKFLOW_S3_SECRET_KEY must be given together");
    }
    if (endpoint != null && !"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
      throw new IllegalArgumentException("INKFLOW_S3_ENDPOINT: expected an http(s) URL, found '" + endpoint + "'");
    }
  }

  /** Settings for an S3-compatible server with explicit credentials (the local stack, tests). */
  public static S3Settings local(URI endpoint, String bucket, String accessKey, String secretKey) {
    return new S3Settings(endpoint, bucket, "us-east-1", true, accessKey, secretKey);
  }

  public static S3Settings fromEnv(Map<String, String> env) {
    String endpoint = blankToNull(env.get("INKFLOW_S3_ENDPOINT"));
    String pathStyle = blankToNull(env.get("INKFLOW_S3_PATH_STYLE"));
    return new S3Settings(
        endpoint == null ? null : URI.create(endpoint),
        env.getOrDefault("INKFLOW_S3_BUCKET", DEFAULT_BUCKET),
        env.getOrDefault("AWS_REGION", "us-east-1"),
        pathStyle == null ? endpoint != null : Boolean.parseBoolean(pathStyle),
        blankToNull(env.get("INKFLOW_S3_ACCESS_KEY")),
        blankToNull(env.get("INKFLOW_S3_SECRET_KEY")));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** Never prints the secret key. */
  @Override
  public String toString() {
    return "S3Settings[endpoint=" + (endpoint == null ? "aws" : endpoint) + ", bucket=" + bucket + ", region=" + region
        + ", pathStyle=" + pathStyle + ", credentials=" + (accessKey == null ? "default chain" : accessKey + ":****") + "]";
  }
}
