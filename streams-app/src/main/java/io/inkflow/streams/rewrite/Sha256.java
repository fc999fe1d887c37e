package io.inkflow.streams.rewrite;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 with one digest per thread: looking a digest up costs more than hashing a short id. */
final class Sha256 {
  private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  });

  private Sha256() {}

  /** The digest of {@code bytes}. */
  static byte[] digest(byte[] bytes) {
    return DIGEST.get().digest(bytes);
  }
}
