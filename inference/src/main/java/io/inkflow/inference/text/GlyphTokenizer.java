package io.inkflow.inference.text;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * ByT5-style ids for glyph texts, the literal strings an image should render: UTF-8 bytes + 3
 * (0 pad, 1 eos, 2 unk), each text followed by eos, truncated or padded to the glyph encoder's
 * length. No texts gives an all-zero mask, which the transformer's joint mask ignores.
 */
public final class GlyphTokenizer {
  /** Padding id. */
  public static final int PAD = 0;
  /** End-of-text id, also the separator between texts. */
  public static final int EOS = 1;
  /** Byte b has id b + OFFSET. */
  public static final int OFFSET = 3;
  /** Vocabulary size: 256 bytes + 3 specials. */
  public static final int VOCAB = 256 + OFFSET;

  private final int maxLength;

  public GlyphTokenizer(int maxLength) {
    if (maxLength <= 0) {
      throw new IllegalArgumentException("expected a positive maxLength, found " + maxLength);
    }
    this.maxLength = maxLength;
  }

  public int maxLength() {
    return maxLength;
  }

  /** Ids the texts take before truncation: their UTF-8 bytes plus one eos each. */
  public static int length(List<String> texts) {
    int n = 0;
    for (String text : texts) {
      n += text.getBytes(StandardCharsets.UTF_8).length + 1;
    }
    return n;
  }

  /** Ids and mask, [1, maxLength], for one row's texts. */
  public void encode(List<String> texts, long[] ids, long[] mask, int offset) {
    int i = 0;
    for (String text : texts) {
      for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
        if (i < maxLength) {
          ids[offset + i] = (b & 0xFF) + OFFSET;
          mask[offset + i++] = 1;
        }
      }
      if (i < maxLength) {
        ids[offset + i] = EOS;
        mask[offset + i++] = 1;
      }
    }
    for (; i < maxLength; i++) {
      ids[offset + i] = PAD;
      mask[offset + i] = 0;
    }
  }

  /** Ids and mask for a batch, one list of texts per row. */
  public PaddedIds encodeBatch(List<List<String>> rows) {
    long[] ids = new long[rows.size() * maxLength];
    long[] mask = new long[rows.size() * maxLength];
    for (int r = 0; r < rows.size(); r++) {
      encode(rows.get(r), ids, mask, r * maxLength);
    }
    return new PaddedIds(rows.size(), maxLength, ids, mask);
  }
}
