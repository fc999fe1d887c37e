package io.inkflow.inference.text;

import java.nio.file.Path;
import java.util.List;

/**
 * An SD3 or Flux export's T5 tokenizer as a {@link PackTokenizer}: ids with T5's end token, padded
 * with 0 and truncated to the pack's {@code max_sequence_length}, as diffusers' pipelines call it
 * ({@code padding="max_length", truncation=True}).
 */
final class T5PackTokenizer implements PackTokenizer {
  private final T5Tokenizer t5;
  private final int maxLength;

  T5PackTokenizer(T5Tokenizer t5, int maxLength) {
    this.t5 = t5;
    this.maxLength = maxLength;
  }

  static T5PackTokenizer open(Path tokenizerDir, int maxLength) {
    return new T5PackTokenizer(T5Tokenizer.open(tokenizerDir), maxLength);
  }

  @Override
  public long[] encode(String text) {
    int[] ids = t5.encode(text);
    long[] out = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }

  @Override
  public int countTokens(String text) {
    return t5.countTokens(text);
  }

  @Override
  public int maxLength() {
    return maxLength;
  }

  @Override
  public int padId() {
    return t5.padId();
  }

  @Override
  public PaddedIds encodeBatch(List<String> texts) {
    long[] ids = new long[texts.size() * maxLength];
    long[] mask = new long[texts.size() * maxLength];
    for (int row = 0; row < texts.size(); row++) {
      T5Tokenizer.Encoded e = t5.encodePadded(texts.get(row), maxLength);
      for (int i = 0; i < maxLength; i++) {
        ids[row * maxLength + i] = e.ids()[i];
        mask[row * maxLength + i] = e.attentionMask()[i];
      }
    }
    return new PaddedIds(texts.size(), maxLength, ids, mask);
  }

  @Override
  public void close() {
    t5.close();
  }
}
