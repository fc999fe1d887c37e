package io.inkflow.storage;

import io.inkflow.common.config.EnvConfig;
import java.net.URI;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

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

  /** The variables S3 settings are read from. */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_S3_ENDPOINT", Type.STRING, null, Importance.HIGH,
          "endpoint of an S3-compatible store (http or https URL); unset: AWS's own endpoints")
      .define("INKFLOW_S3_BUCKET", Type.STRING, DEFAULT_BUCKET, Importance.HIGH, "the images bucket (also manifests and datasets)")
      .define("AWS_REGION", Type.STRING, "us-east-1", Importance.MEDIUM, "the bucket's region")
      .define("INKFLOW_S3_PATH_STYLE", Type.BOOLEAN, null, Importance.LOW,
          "path-style addressing; unset: on whenever INKFLOW_S3_ENDPOINT is set, as S3-compatible servers expect")
      .define("INKFLOW_S3_ACCESS_KEY", Type.STRING, null, Importance.MEDIUM,
          "explicit access key; unset: the AWS default credentials chain (environment, profile, container or instance role)")
      .define("INKFLOW_S3_SECRET_KEY", Type.PASSWORD, null, Importance.MEDIUM, "explicit secret key, given with the access key");

  /** Reads {@link #DEFINITION}'s variables from the environment. */
  public static S3Settings fromEnv(Map<String, String> env) {
    return from(new EnvConfig(DEFINITION, env));
  }

  /** Reads {@link #DEFINITION}'s variables from a service's configuration that includes them. */
  public static S3Settings from(EnvConfig config) {
    String endpoint = config.getString("INKFLOW_S3_ENDPOINT");
    Boolean pathStyle = config.getBoolean("INKFLOW_S3_PATH_STYLE");
    Password secret = config.getPassword("INKFLOW_S3_SECRET_KEY");
    return new S3Settings(
        endpoint == null ? null : URI.create(endpoint),
        config.getString("INKFLOW_S3_BUCKET"),
        config.getString("AWS_REGION"),
        pathStyle == null ? endpoint != null : pathStyle,
        config.getString("INKFLOW_S3_ACCESS_KEY"),
        secret == null ? null : secret.value());
  }

  /** Never prints the secret key. */
  @Override
  public String toString() {
    return "S3Settings[endpoint=" + (endpoint == null ? "aws" : endpoint) + ", bucket=" + bucket + ", region=" + region
        + ", pathStyle=" + pathStyle + ", credentials=" + (accessKey == null ? "default chain" : accessKey + ":****") + "]";
  }
}
