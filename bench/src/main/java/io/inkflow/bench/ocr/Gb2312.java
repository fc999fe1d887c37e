package io.inkflow.bench.ocr;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;

/**
 * The 3755 level-1 hanzi of GB 2312 (rows 16-55, the commonly used characters), computed from the JDK's
 * {@code GB2312} charset (EUC-CN bytes 0xB0A1..0xD7F9) so that no character table is kept in the repository.
 */
public final class Gb2312 {
  /** The number of level-1 characters: 40 rows of 94 cells, less the five empty cells at the end of row 55. */
  public static final int LEVEL1_SIZE = 3755;

  private static final String LEVEL1 = computeLevel1();

  private Gb2312() {}

  /** The level-1 characters in code order (row, then cell), each one UTF-16 unit (all are in the BMP). */
  public static String level1() {
    return LEVEL1;
  }

  /** Whether {@code c} is a level-1 character. */
  public static boolean isLevel1(int c) {
    return c <= Character.MAX_VALUE && LEVEL1.indexOf(c) >= 0;
  }

  private static String computeLevel1() {
    CharsetDecoder decoder = Charset.forName("GB2312").newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    StringBuilder out = new StringBuilder(LEVEL1_SIZE);
    for (int row = 0xB0; row <= 0xD7; row++) {
      int lastCell = row == 0xD7 ? 0xF9 : 0xFE;
      for (int cell = 0xA1; cell <= lastCell; cell++) {
        try {
          CharBuffer decoded = decoder.reset().decode(ByteBuffer.wrap(new byte[] {(byte) row, (byte) cell}));
          if (decoded.length() == 1 && Character.isIdeographic(decoded.charAt(0))) {
            out.append(decoded.charAt(0));
          }
        } catch (CharacterCodingException e) {
          // an unassigned cell: none in rows 16-55 up to 0xD7F9, but the charset decides
        }
      }
    }
    if (out.length() != LEVEL1_SIZE) {
      throw new IllegalStateException("expected " + LEVEL1_SIZE + " GB2312 level-1 characters from the JDK's GB2312"
          + " charset, found " + out.length());
    }
    return out.toString();
  }
}
