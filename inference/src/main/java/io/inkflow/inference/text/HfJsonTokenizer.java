package io.inkflow.inference.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.inkflow.inference.pack.PackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face {@code tokenizer.json} run by the DJL tokenizers library (Rust, bundled native
 * library, offline). Truncation and padding are turned off here: counting must see the whole
 * prompt, and the pipeline pads to the encoder's fixed length itself.
 */
final class HfJsonTokenizer implements PackTokenizer {
  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final int padId;

  private HfJsonTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, int padId) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.padId = padId;
  }

  static HfJsonTokenizer open(Path file, int maxLength, int padId) {
    if (!Files.isRegularFile(file)) {
      throw new PackException("tokenizer file not found: " + file);
    }
    try {
      HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(true)
          .optTruncation(false)
          .optPadding(false)
          .build();
      return new HfJsonTokenizer(tokenizer, maxLength, padId);
    } catch (IOException | RuntimeException e) {
      throw new PackException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public long[] encode(String text) {
    Encoding encoding = tokenizer.encode(text);
    return encoding.getIds();
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
  public void close() {
    tokenizer.close();
  }
}
