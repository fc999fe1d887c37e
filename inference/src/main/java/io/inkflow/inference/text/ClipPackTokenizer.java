package io.inkflow.inference.text;

import java.nio.file.Path;
import java.util.List;

/**
 * A diffusers export's CLIP tokenizer as a {@link PackTokenizer}: ids with {@code <|startoftext|>}
 * and {@code <|endoftext|>}, 77 per row, padded with the tokenizer's own pad id, and truncated as
 * CLIP truncates (the first 75 content ids, then the end token).
 */
final class ClipPackTokenizer implements PackTokenizer {
  private final ClipTokenizer clip;

  ClipPackTokenizer(ClipTokenizer clip) {
    this.clip = clip;
  }

  static ClipPackTokenizer open(Path tokenizerDir) {
    return new ClipPackTokenizer(ClipTokenizer.open(tokenizerDir));
  }

  @Override
  public long[] encode(String text) {
    int[] content = clip.encode(text);
    long[] out = new long[content.length + 2];
    out[0] = clip.startId();
    for (int i = 0; i < content.length; i++) {
      out[i + 1] = content[i];
    }
    out[out.length - 1] = clip.endId();
    return out;
  }

  @Override
  public int countTokens(String text) {
    return clip.countTokens(text) + 2;
  }

  @Override
  public int maxLength() {
    return clip.maxLength();
  }

  @Override
  public int padId() {
    return clip.padId();
  }

  @Override
  public PaddedIds encodeBatch(List<String> texts) {
    int length = maxLength();
    long[] ids = new long[texts.size() * length];
    long[] mask = new long[texts.size() * length];
    for (int row = 0; row < texts.size(); row++) {
      ClipTokenizer.Encoded e = clip.encodePadded(texts.get(row));
      for (int i = 0; i < length; i++) {
        ids[row * length + i] = e.ids()[i];
        mask[row * length + i] = e.attentionMask()[i];
      }
    }
    return new PaddedIds(texts.size(), length, ids, mask);
  }

  @Override
  public void close() {}
}
