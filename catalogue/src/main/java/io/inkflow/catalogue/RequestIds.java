package io.inkflow.catalogue;

import io.inkflow.common.Digests;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Request ids derived from a batch id and a row's key, so resubmitting the same file yields the same
 * ids and regenerates nothing. The id stays within what the PE stage accepts ([A-Za-z0-9._-], at most
 * 128, no leading dot, no ".."): a key that is not already safe keeps its safe characters and gains a
 * short hash of its original form, so two different keys never collide.
 */
public final class RequestIds {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
  static final int MAX = 128;

  private RequestIds() {}

  public static String of(String batchId, String key) {
    String safeKey = SAFE.matcher(key).matches() && !key.contains("..") ? key : readable(key) + "~" + hash(key);
    String id = batchId + "." + safeKey;
    if (id.length() > MAX) {
      id = id.substring(0, MAX - 13) + "~" + hash(batchId + "\u0000" + key);
    }
    return id.replace('~', '-');
  }

  /** A batch id made safe the same way (used when it is derived from a file name). */
  public static String batchId(String raw) {
    String s = readable(raw);
    return s.length() > 64 ? s.substring(0, 64) : s;
  }

  private static String readable(String raw) {
    String s = raw.replaceAll("[^A-Za-z0-9_-]+", "_");
    s = s.replaceAll("^_+|_+$", "");
    return s.isEmpty() ? "k" : s;
  }

  private static String hash(String raw) {
    return HexFormat.of().formatHex(Digests.sha256(raw.getBytes(StandardCharsets.UTF_8)), 0, 6);
  }
}
