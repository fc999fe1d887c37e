package io.inkflow.inference.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import io.inkflow.inference.pack.PackException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * T5's SentencePiece (unigram) tokenizer, as SD3 ships it in {@code tokenizer_3/} and FLUX.1 in {@code tokenizer_2/}:
 * the ids of transformers' {@code tokenizer(text).input_ids}, that is the pieces followed by {@code </s>}, no padding.
 *
 * <p>Two ways to run it, both offline with native libraries taken from their jars: {@code tokenizer.json} through DJL's
 * Hugging Face tokenizers (preferred, as transformers loads the fast tokenizer when the file is there), or
 * {@code spiece.model} through DJL's SentencePiece binding. They give the same ids except on text that spells a
 * special token ({@code </s>}, {@code <pad>}, {@code <unk>}, {@code <extra_id_N>}): {@code tokenizer.json} makes it
 * that token's id, as transformers does, while {@code spiece.model} splits it as plain text, as SentencePiece does;
 * and on a combining mark after a character NFKC rewrites (a full-width letter or digit), which Hugging Face's
 * normalizer drops and SentencePiece keeps as {@code <unk>}. Unpaired surrogates, which Python strings can hold but not
 * encode, become U+FFFD on both.
 *
 * <p>Immutable and safe to share between threads. It owns native memory: close it once no thread uses it any more.
 */
public final class T5Tokenizer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(T5Tokenizer.class);

  /** Where the ids come from. */
  public enum Source {
    /** {@code tokenizer.json}, a Hugging Face fast tokenizer with a {@code Unigram} model. */
    TOKENIZER_JSON,
    /** {@code spiece.model}, a SentencePiece model. */
    SENTENCEPIECE
  }

  /**
   * Ids for a T5 encoder of a fixed length: exactly {@code maxLength} of them.
   *
   * @param ids the piece ids (the first {@code maxLength - 1} when there were more), eos, then the pad id
   * @param attentionMask 1 up to and including eos, 0 over the padding
   * @param tokens ids before the padding, eos included
   * @param droppedTokens piece ids cut by truncation, 0 when everything fit
   */
  public record Encoded(int[] ids, int[] attentionMask, int tokens, int droppedTokens) {
    /** Whether piece ids were cut to fit. */
    public boolean truncated() {
      return droppedTokens > 0;
    }
  }

  /** The pieces of a text, without eos. */
  private interface Backend extends AutoCloseable {
    int[] pieces(String text);

    @Override
    void close();
  }

  private final Backend backend;
  private final Source source;
  private final int vocabSize;
  private final int eosId;
  private final int padId;
  /** DJL's SentencePiece binding frees its processor again on a second close: only the first one reaches it. */
  private final AtomicBoolean closed = new AtomicBoolean();

  private T5Tokenizer(Backend backend, Source source, T5TokenizerFiles.Vocabulary vocabulary) {
    this.backend = backend;
    this.source = source;
    this.vocabSize = vocabulary.vocabSize();
    this.eosId = vocabulary.eosId();
    this.padId = vocabulary.padId();
  }

  /**
   * Reads a T5 tokenizer folder: {@code tokenizer.json} when present, else {@code spiece.model}; the eos and pad tokens
   * from {@code special_tokens_map.json}, then {@code tokenizer_config.json} (string or {@code {"content": ...}}),
   * default {@code </s>} and {@code <pad>}.
   *
   * @throws PackException naming the file, and what was expected and found, when a file is missing or unusable
   */
  public static T5Tokenizer open(Path tokenizerDir) {
    T5TokenizerFiles.requireFolder(tokenizerDir);
    if (Files.exists(tokenizerDir.resolve(T5TokenizerFiles.TOKENIZER_JSON))) {
      return open(tokenizerDir, Source.TOKENIZER_JSON);
    }
    if (Files.exists(tokenizerDir.resolve(T5TokenizerFiles.SPIECE))) {
      return open(tokenizerDir, Source.SENTENCEPIECE);
    }
    throw new PackException(tokenizerDir + ": expected a T5 tokenizer's " + T5TokenizerFiles.TOKENIZER_JSON + " or "
        + T5TokenizerFiles.SPIECE + ", found neither");
  }

  /** Reads the folder's file for {@code source} only (the other may be absent). */
  static T5Tokenizer open(Path tokenizerDir, Source source) {
    T5TokenizerFiles.requireFolder(tokenizerDir);
    String name = source == Source.TOKENIZER_JSON ? T5TokenizerFiles.TOKENIZER_JSON : T5TokenizerFiles.SPIECE;
    if (!Files.isRegularFile(tokenizerDir.resolve(name))) {
      throw new PackException(tokenizerDir.resolve(name) + ": expected a T5 tokenizer's " + name
          + ", found no such file");
    }
    T5Tokenizer tokenizer = source == Source.TOKENIZER_JSON
        ? openTokenizerJson(tokenizerDir)
        : openSpiece(tokenizerDir);
    LOG.debug("T5 tokenizer {}: {}, {} ids, eos {}, pad {}", tokenizerDir, source, tokenizer.vocabSize,
        tokenizer.eosId, tokenizer.padId);
    return tokenizer;
  }

  private static T5Tokenizer openTokenizerJson(Path dir) {
    T5TokenizerFiles.Vocabulary vocabulary = T5TokenizerFiles.readTokenizerJson(dir);
    Path file = vocabulary.file();
    HuggingFaceTokenizer tokenizer;
    try {
      tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(file)
          .optAddSpecialTokens(false)
          .optTruncation(false)
          .optPadding(false)
          .build();
    } catch (IOException | RuntimeException e) {
      throw new PackException(file + ": expected a tokenizer the tokenizers library loads, found: " + e.getMessage(),
          e);
    }
    Backend backend = new JsonBackend(tokenizer);
    try {
      checkPostProcessor(file, tokenizer, vocabulary.eosId());
      return new T5Tokenizer(backend, Source.TOKENIZER_JSON, vocabulary);
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  /**
   * The eos is appended here, as T5's tokenizers do; a post-processor in the file may only do the same (T5's
   * {@code [$A, </s>]}) or nothing, anything else would mean the file is not a T5 tokenizer.
   */
  private static void checkPostProcessor(Path file, HuggingFaceTokenizer tokenizer, int eosId) {
    String probe = "a";
    long[] plain = tokenizer.encode(probe, false, false).getIds();
    long[] special = tokenizer.encode(probe, true, false).getIds();
    long[] withEos = Arrays.copyOf(plain, plain.length + 1);
    withEos[plain.length] = eosId;
    if (!Arrays.equals(special, plain) && !Arrays.equals(special, withEos)) {
      throw new PackException(file + ": expected a post_processor that appends eos (" + eosId + ") or none, found one"
          + " that turns " + Arrays.toString(plain) + " into " + Arrays.toString(special));
    }
  }

  private static T5Tokenizer openSpiece(Path dir) {
    byte[] model = T5TokenizerFiles.readSentencePieceBytes(dir);
    T5TokenizerFiles.Vocabulary vocabulary = T5TokenizerFiles.readSentencePiece(dir, model);
    SpTokenizer tokenizer;
    try {
      tokenizer = new SpTokenizer(model);
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new PackException(vocabulary.file() + ": expected a model the SentencePiece library loads, found: "
          + e.getMessage(), e);
    }
    return new T5Tokenizer(new SpieceBackend(tokenizer), Source.SENTENCEPIECE, vocabulary);
  }

  /**
   * The ids of {@code text} followed by eos, as transformers' {@code tokenizer(text).input_ids}: no truncation, no
   * padding. Any string is accepted (see the class comment for special-token text and unpaired surrogates).
   */
  public int[] encode(String text) {
    int[] pieces = backend.pieces(clean(text));
    int[] ids = Arrays.copyOf(pieces, pieces.length + 1);
    ids[pieces.length] = eosId;
    return ids;
  }

  /**
   * Exactly {@code maxLength} ids: the piece ids, eos, padding. Longer text keeps its first {@code maxLength - 1}
   * piece ids and still ends in eos, as transformers' {@code truncation=True, padding="max_length"}.
   *
   * @throws IllegalArgumentException when {@code maxLength} is below 1
   */
  public Encoded encodePadded(String text, int maxLength) {
    if (maxLength < 1) {
      throw new IllegalArgumentException("expected maxLength of at least 1 (room for eos), found " + maxLength);
    }
    int[] pieces = backend.pieces(clean(text));
    int kept = Math.min(pieces.length, maxLength - 1);
    int[] ids = new int[maxLength];
    int[] mask = new int[maxLength];
    System.arraycopy(pieces, 0, ids, 0, kept);
    ids[kept] = eosId;
    Arrays.fill(ids, kept + 1, maxLength, padId);
    Arrays.fill(mask, 0, kept + 1, 1);
    return new Encoded(ids, mask, kept + 1, pieces.length - kept);
  }

  /** How many ids {@link #encode} gives for {@code text}, eos included, for a token budget. */
  public int countTokens(String text) {
    return backend.pieces(clean(text)).length + 1;
  }

  /** The pad id ({@code <pad>}, 0 for T5). */
  public int padId() {
    return padId;
  }

  /** The eos id ({@code </s>}, 1 for T5). */
  public int eosId() {
    return eosId;
  }

  /**
   * One more than the largest id this tokenizer knows: the pieces, and for {@code tokenizer.json} its added tokens
   * (32100 for T5 v1.1, whose 100 {@code <extra_id_N>} sentinels follow the 32000 pieces; 32000 from its
   * {@code spiece.model}). The encoder's embedding table may be larger (32128).
   */
  public int vocabSize() {
    return vocabSize;
  }

  /** The file the ids come from. */
  public Source source() {
    return source;
  }

  /** Frees the native tokenizer. Idempotent; no method may be called afterwards. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      backend.close();
    }
  }

  /** The text with unpaired surrogates replaced by U+FFFD; the same instance when there are none. */
  static String clean(String text) {
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
          i += 2;
          continue;
        }
        break;
      }
      i++;
    }
    if (i == n) {
      return text;
    }
    StringBuilder sb = new StringBuilder(n).append(text, 0, i);
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
        sb.append(c).append(text.charAt(i + 1));
        i += 2;
      } else {
        sb.append(Character.isSurrogate(c) ? '\uFFFD' : c);
        i++;
      }
    }
    return sb.toString();
  }

  /** tokenizer.json through DJL's Hugging Face tokenizers; the Rust tokenizer encodes from several threads at once. */
  private static final class JsonBackend implements Backend {
    private final HuggingFaceTokenizer tokenizer;

    JsonBackend(HuggingFaceTokenizer tokenizer) {
      this.tokenizer = tokenizer;
    }

    @Override
    public int[] pieces(String text) {
      long[] ids = tokenizer.encode(text, false, false).getIds();
      int[] out = new int[ids.length];
      for (int i = 0; i < ids.length; i++) {
        out[i] = (int) ids[i];
      }
      return out;
    }

    @Override
    public void close() {
      tokenizer.close();
    }
  }

  /** spiece.model through DJL's SentencePiece binding; SentencePiece's Encode is const and thread-safe. */
  private static final class SpieceBackend implements Backend {
    private final SpTokenizer tokenizer;
    private final SpProcessor processor;

    SpieceBackend(SpTokenizer tokenizer) {
      this.tokenizer = tokenizer;
      this.processor = tokenizer.getProcessor();
    }

    @Override
    public int[] pieces(String text) {
      return processor.encode(text);
    }

    @Override
    public void close() {
      tokenizer.close();
    }
  }
}
