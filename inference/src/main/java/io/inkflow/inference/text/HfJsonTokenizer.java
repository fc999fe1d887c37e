package io.inkflow.inference.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.inference.pack.PackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Hugging Face {@code tokenizer.json} run by the DJL tokenizers library (Rust, bundled native
 * library, offline). Truncation and padding are turned off here: counting must see the whole
 * prompt, and the pipeline pads to the encoder's fixed length itself.
 *
 * <p>Counting is on the PE stream's hot path: tokenizers of the BERT word-level shape are counted in
 * Java ({@link BertWordLevelCounter}); others, and text outside the characters it classifies, take one
 * native encode that reads only the ids.
 */
final class HfJsonTokenizer implements PackTokenizer {
  private final HuggingFaceTokenizer tokenizer;
  private final Optional<BertWordLevelCounter> counter;
  private final int maxLength;
  private final int padId;

  private HfJsonTokenizer(HuggingFaceTokenizer tokenizer, Optional<BertWordLevelCounter> counter, int maxLength, int padId) {
    this.tokenizer = tokenizer;
    this.counter = counter;
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
      Optional<BertWordLevelCounter> counter = BertWordLevelCounter.forTokenizer(new ObjectMapper().readTree(file.toFile()));
      return new HfJsonTokenizer(tokenizer, counter, maxLength, padId);
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
  public int countTokens(String text) {
    int fast = counter.isPresent() ? counter.get().count(text) : -1;
    if (fast >= 0) {
      return fast;
    }
    return tokenizer.encode(text, true, false).getIds().length;
  }

  /** Whether counting runs in Java for this tokenizer (for tests and logs). */
  boolean countsInJava() {
    return counter.isPresent();
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
