package io.inkflow.schemas.serde;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks that text is well-formed before it is written and after it is read. Java's own conversions
 * silently substitute: {@code String.getBytes(UTF_8)} writes '?' for an unpaired surrogate and
 * {@code new String(bytes, UTF_8)} reads invalid UTF-8 as U+FFFD, so a record would change on the way.
 */
final class StrictText {
  private static final ThreadLocal<CharsetDecoder> DECODERS = ThreadLocal.withInitial(() -> StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT));

  private StrictText() {}

  /** The index of the first unpaired surrogate in {@code s}, or -1 when it is valid UTF-16. */
  static int firstUnpairedSurrogate(CharSequence s) {
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (!Character.isSurrogate(c)) {
        continue;
      }
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
        continue;
      }
      return i;
    }
    return -1;
  }

  /**
   * Whether {@code bytes[0, length)} is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
   * nothing above U+10FFFF), checked by the JDK's decoder; ASCII needs no decoder.
   */
  static boolean isUtf8(byte[] bytes, int length) {
    for (int i = 0; i < length; i++) {
      if (bytes[i] < 0) {
        try {
          DECODERS.get().reset().decode(ByteBuffer.wrap(bytes, i, length - i));
          return true;
        } catch (CharacterCodingException e) {
          return false;
        }
      }
    }
    return true;
  }
}
