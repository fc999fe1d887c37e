package io.inkflow.inference.text;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level tokenizer (ByT5 convention): each UTF-8 byte b becomes id b + 3, then eos (1).
 * Needs no vocabulary file, so it cannot fail to load; suits packs trained on raw bytes.
 */
final class Utf8ByteTokenizer implements PackTokenizer {
  private final int maxLength;
  private final int padId;

  Utf8ByteTokenizer(int maxLength, int padId) {
    this.maxLength = maxLength;
    this.padId = padId;
  }

  @Override
  public long[] encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    long[] ids = new long[bytes.length + 1];
    for (int i = 0; i < bytes.length; i++) {
      ids[i] = (bytes[i] & 0xFF) + GlyphTokenizer.OFFSET;
    }
    ids[bytes.length] = GlyphTokenizer.EOS;
    return ids;
  }

  @Override
  public int maxLength() {
    return maxLength;
  }

  @Override
  public int padId() {
    return padId;
  }

  @Override
  public void close() {}
}
