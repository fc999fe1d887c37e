package io.inkflow.schemas.registry;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of the REST registry client, read from the same property names Confluent's serdes use
 * (so an existing client config works unchanged) plus inkflow's retry settings.
 *
 * @param urls registry base URLs, tried in order
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param requestTimeout time limit of one HTTP call
 * @param retryBackoff first pause after a failed attempt; doubles up to {@code retryBackoffMax}
 * @param retryBackoffMax longest pause between attempts
 * @param retryTimeout total time to keep retrying an unreachable registry before giving up
 */
public record RegistryClientConfig(
    List<URI> urls,
    String basicAuthUserInfo,
    Duration requestTimeout,
    Duration retryBackoff,
    Duration retryBackoffMax,
    Duration retryTimeout) {

  public static final String URL = "schema.registry.url";
  public static final String BASIC_AUTH_SOURCE = "basic.auth.credentials.source";
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
  public static final String REQUEST_TIMEOUT_MS = "inkflow.registry.request.timeout.ms";
  public static final String RETRY_BACKOFF_MS = "inkflow.registry.retry.backoff.ms";
  public static final String RETRY_BACKOFF_MAX_MS = "inkflow.registry.retry.backoff.max.ms";
  public static final String RETRY_TIMEOUT_MS = "inkflow.registry.retry.timeout.ms";

  public RegistryClientConfig {
    Objects.requireNonNull(urls, "urls");
    if (urls.isEmpty()) {
      throw new IllegalArgumentException(URL + " is empty; expected at least one http(s) URL");
    }
    for (URI u : urls) {
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
        throw new IllegalArgumentException(URL + ": expected an http or https URL, found '" + u + "'");
      }
      if (u.getUserInfo() != null) {
        throw new IllegalArgumentException(URL + ": put credentials in " + BASIC_AUTH_USER_INFO + ", not in the URL");
      }
    }
    urls = List.copyOf(urls);
    requirePositive(requestTimeout, REQUEST_TIMEOUT_MS);
    requirePositive(retryBackoff, RETRY_BACKOFF_MS);
    requirePositive(retryBackoffMax, RETRY_BACKOFF_MAX_MS);
    Objects.requireNonNull(retryTimeout, RETRY_TIMEOUT_MS);
    if (retryTimeout.isNegative()) {
      throw new IllegalArgumentException(RETRY_TIMEOUT_MS + " must be >= 0, found " + retryTimeout.toMillis());
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be > 0, found " + d.toMillis());
    }
  }

  /** A config for one URL with default timeouts (5 s per call, retry for 60 s). */
  public static RegistryClientConfig of(String url) {
    return fromMap(Map.of(URL, url));
  }

  /** Reads a config from Kafka-style client properties. */
  public static RegistryClientConfig fromMap(Map<String, ?> props) {
    Object url = props.get(URL);
    if (url == null) {
      throw new IllegalArgumentException("missing " + URL + "; expected e.g. http://127.0.0.1:8081");
    }
    List<URI> urls = new ArrayList<>();
    for (String part : url.toString().split(",")) {
      if (!part.isBlank()) {
        String s = part.trim();
        urls.add(URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s));
      }
    }
    String userInfo = null;
    Object source = props.get(BASIC_AUTH_SOURCE);
    if (source == null || "USER_INFO".equalsIgnoreCase(source.toString())) {
      Object ui = props.get(BASIC_AUTH_USER_INFO);
      userInfo = ui == null || ui.toString().isEmpty() ? null : ui.toString();
    } else {
      throw new IllegalArgumentException(BASIC_AUTH_SOURCE + ": only USER_INFO is supported, found " + source);
    }
    return new RegistryClientConfig(
        urls,
        userInfo,
        millis(props, REQUEST_TIMEOUT_MS, 5_000),
        millis(props, RETRY_BACKOFF_MS, 100),
        millis(props, RETRY_BACKOFF_MAX_MS, 5_000),
        millis(props, RETRY_TIMEOUT_MS, 60_000));
  }

  private static Duration millis(Map<String, ?> props, String key, long dflt) {
    Object v = props.get(key);
    if (v == null) {
      return Duration.ofMillis(dflt);
    }
    try {
      return Duration.ofMillis(v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": expected milliseconds, found '" + v + "'", e);
    }
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "RegistryClientConfig[urls=" + urls
        + ", basicAuth=" + (basicAuthUserInfo == null ? "none" : basicAuthUserInfo.split(":", 2)[0] + ":****")
        + ", requestTimeout=" + requestTimeout.toMillis() + "ms"
        + ", retryBackoff=" + retryBackoff.toMillis() + ".." + retryBackoffMax.toMillis() + "ms"
        + ", retryTimeout=" + retryTimeout.toMillis() + "ms]";
  }
}
