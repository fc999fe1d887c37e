package io.inkflow.inference.text;

/**
 * The CJK unified ideographs U+4E00..U+9FFC, assigned (script Han, category other letter) in the
 * Unicode tables of every JVM this project runs on (Unicode 13, Java 17, and later). Text code on hot
 * paths classifies them without a table lookup; U+9FFD..U+9FFF, assigned only in later Unicode
 * versions, still go through the JVM's own tables.
 */
public final class CjkIdeographs {
  private CjkIdeographs() {}

  /** Whether {@code cp} is one of these ideographs. */
  public static boolean isCommon(int cp) {
    return cp >= 0x4E00 && cp <= 0x9FFC;
  }
}
