package io.inkflow.inference.text;

import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TokenizerSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * A pack's prompt tokenizer. Opening one needs the manifest only, no ONNX session: the
 * prompt-engineering stream counts tokens with it, workers build text-encoder inputs with it.
 * Implementations are thread-safe.
 */
public interface PackTokenizer extends AutoCloseable {

  /**
   * Opens the tokenizer a manifest describes.
   *
   * @param spec the manifest's tokenizer section
   * @param packDir the pack folder its file is relative to
   */
  static PackTokenizer open(TokenizerSpec spec, Path packDir) {
    switch (spec.type()) {
      case HF_TOKENIZER_JSON:
        return HfJsonTokenizer.open(packDir.resolve(spec.file()), spec.maxLength(), spec.padId());
      case UTF8_BYTES:
        return new Utf8ByteTokenizer(spec.maxLength(), spec.padId());
      case CLIP_BPE:
        return ClipPackTokenizer.open(packDir.resolve(spec.file()));
      case T5:
        return T5PackTokenizer.open(packDir.resolve(spec.file()), spec.maxLength());
      default:
        throw new PackException("unsupported tokenizer type " + spec.type());
    }
  }

  /** Token ids of {@code text}, special tokens included, neither truncated nor padded. */
  long[] encode(String text);

  /**
   * How many tokens {@code text} takes, special tokens included. Prompts longer than
   * {@link #maxLength()} are truncated by the pipeline; the PE stream rejects or shortens them.
   */
  default int countTokens(String text) {
    return encode(text).length;
  }

  /** The text encoder's sequence length. */
  int maxLength();

  /** The padding id. */
  int padId();

  /**
   * Ids and attention mask for a batch of texts, each truncated or padded to {@link #maxLength()},
   * row after row.
   */
  default PaddedIds encodeBatch(List<String> texts) {
    int length = maxLength();
    long[] ids = new long[texts.size() * length];
    long[] mask = new long[texts.size() * length];
    for (int row = 0; row < texts.size(); row++) {
      long[] tokens = encode(texts.get(row));
      int n = Math.min(tokens.length, length);
      for (int i = 0; i < length; i++) {
        ids[row * length + i] = i < n ? tokens[i] : padId();
        mask[row * length + i] = i < n ? 1 : 0;
      }
    }
    return new PaddedIds(texts.size(), length, ids, mask);
  }

  /** Releases native resources, if any. */
  @Override
  void close();
}
