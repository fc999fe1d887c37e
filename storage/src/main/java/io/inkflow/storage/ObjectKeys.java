package io.inkflow.storage;

import io.inkflow.common.Digests;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Object names in the images bucket. Keys are deterministic, so a redelivered job overwrites its own
 * object and nothing else, and every user-controlled segment is sanitised: only [A-Za-z0-9._-] survive,
 * no segment is empty, "." or "..", and each is capped in length. A segment that had to be changed or
 * shortened ends with a digest of the original, so two different ids never share a key ("a/b" and
 * "a_b" would otherwise both become "a_b"). Segments starting with '_' are reserved for the store's own
 * names ({@link #STANDALONE}): an id starting with '_' always gets a digest, so no id can name one.
 */
public final class ObjectKeys {
  private static final Pattern UNSAFE = Pattern.compile("[^A-Za-z0-9._-]");
  private static final Pattern PLAIN_METADATA = Pattern.compile("[A-Za-z0-9._/:-]*");
  static final int MAX_SEGMENT = 128;
  /** "-" and 16 hex digits (64 bits) of SHA-256 of the original id. */
  private static final int DIGEST_SUFFIX = 17;

  /** The batch segment of a stand-alone request (one without a batch): no sanitised batch id can produce it. */
  public static final String STANDALONE = "_standalone";

  private ObjectKeys() {}

  /**
   * {@code images/{batchId}/{requestId}/{variant}-{seed}.png}; a stand-alone request (null batch id)
   * goes under {@code images/_standalone/{requestId}/}.
   */
  public static String image(String batchId, String requestId, int variant, long seed) {
    return "images/" + (batchId == null ? STANDALONE : segment(batchId)) + "/" + segment(requestId) + "/" + variant + "-" + seed + ".png";
  }

  /** {@code manifests/{batchId}/manifest.jsonl}. */
  public static String manifest(String batchId) {
    return "manifests/" + segment(batchId) + "/manifest.jsonl";
  }

  /** A user-controlled string made safe as one path segment; a changed segment keeps a digest of the original. */
  public static String segment(String raw) {
    if (raw == null || raw.isEmpty()) {
      return "_";
    }
    String s = UNSAFE.matcher(raw).replaceAll("_");
    if (s.chars().allMatch(c -> c == '.')) {
      s = s.replace('.', '_');
    }
    if (s.startsWith(".")) {
      s = "_" + s.substring(1);
    }
    s = s.replace("..", "__");
    if (s.equals(raw) && s.length() <= MAX_SEGMENT && s.charAt(0) != '_') {
      return s;
    }
    String kept = s.length() > MAX_SEGMENT - DIGEST_SUFFIX ? s.substring(0, MAX_SEGMENT - DIGEST_SUFFIX) : s;
    return kept + "-" + digest(raw);
  }

  private static String digest(String raw) {
    return HexFormat.of().formatHex(Digests.sha256(raw.getBytes(StandardCharsets.UTF_8)), 0, 8);
  }

  /**
   * A user-controlled string made safe as an object metadata value, which travels as an HTTP header and
   * is signed as one: non-ASCII text there breaks the request signature (S3 answers 403), and control
   * characters could break the header. Plain ids ([A-Za-z0-9._/:-]) stay as they are; anything else is
   * UTF-8 percent-encoded. {@link #fromMetadata} reads either back.
   */
  public static String toMetadata(String raw) {
    if (raw == null) {
      return "";
    }
    return PLAIN_METADATA.matcher(raw).matches() ? raw : URLEncoder.encode(raw, StandardCharsets.UTF_8);
  }

  /** The original string of a metadata value written by {@link #toMetadata}. */
  public static String fromMetadata(String value) {
    return value == null ? null : URLDecoder.decode(value, StandardCharsets.UTF_8);
  }

  /** {@code s3://bucket/key}. */
  public static String uri(String bucket, String key) {
    return "s3://" + bucket + "/" + key;
  }

  /** The bucket and key of an {@code s3://bucket/key} URI. */
  public record Location(String bucket, String key) {}

  public static Location parse(String uri) {
    if (uri == null || !uri.startsWith("s3://")) {
      throw new IllegalArgumentException("expected s3://bucket/key, found '" + uri + "'");
    }
    int slash = uri.indexOf('/', 5);
    if (slash < 6 || slash == uri.length() - 1) {
      throw new IllegalArgumentException("expected s3://bucket/key, found '" + uri + "'");
    }
    return new Location(uri.substring(5, slash), uri.substring(slash + 1));
  }
}
