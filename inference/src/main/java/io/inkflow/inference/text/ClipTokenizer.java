package io.inkflow.inference.text;

import io.inkflow.inference.pack.PackException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * CLIP's byte-level BPE tokenizer, giving the ids of OpenAI's {@code simple_tokenizer.py} (and of Hugging Face's
 * CLIPTokenizer with ftfy installed) from the files a Stable Diffusion export ships in {@code tokenizer/} and
 * {@code tokenizer_2/}.
 *
 * <p>Encoding cleans the text ({@link ClipTextCleaner}: a subset of ftfy, HTML unescaped twice, whitespace collapsed,
 * lower-cased), splits it with CLIP's pattern
 * {@code <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+} (case-insensitive,
 * {@code \s} being Unicode White_Space as in Python's {@code regex} module), maps each piece's UTF-8 bytes to CLIP's
 * byte characters and merges them by rank with {@code </w>} on the last one. A piece that is exactly
 * {@code <|startoftext|>} or {@code <|endoftext|>} is that special token's id, as in both references. Letters and
 * numbers are classified with this JVM's Unicode tables (Unicode 13 on Java 17); characters assigned in later versions
 * can split differently from Python's {@code regex} module.
 *
 * <p>Immutable and safe to share between threads. Words seen recently are cached (at most {@value #CACHE_ENTRIES}
 * pieces of up to {@value #CACHE_PIECE_CHARS} chars; the cache empties itself when full), so counting tokens of
 * ordinary prompts costs a few microseconds.
 */
public final class ClipTokenizer {
  static final String START = "<|startoftext|>";
  static final String END = "<|endoftext|>";
  static final int CACHE_ENTRIES = 16_384;
  static final int CACHE_PIECE_CHARS = 64;

  /**
   * Ids for a CLIP text encoder: exactly {@code maxLength} of them.
   *
   * @param ids SOT, the content ids (the first {@code maxLength - 2} when there were more), EOT, then the pad id
   * @param attentionMask 1 from SOT to EOT inclusive, 0 over the padding
   * @param eotIndex position of the EOT this tokenizer appended (where CLIP pools its output)
   * @param contentTokens content ids kept
   * @param droppedTokens content ids cut by truncation, 0 when everything fit
   */
  public record Encoded(int[] ids, int[] attentionMask, int eotIndex, int contentTokens, int droppedTokens) {
    /** Whether content ids were cut to fit. */
    public boolean truncated() {
      return droppedTokens > 0;
    }
  }

  private final int vocabSize;
  private final int startId;
  private final int endId;
  private final int padId;
  private final int maxLength;
  /** Byte b's symbol id inside a piece, and as a piece's last symbol (with {@code </w>}). */
  private final int[] byteSymbol = new int[256];
  private final int[] byteSymbolEnd = new int[256];
  private final PairRanks ranks;
  /** Per rank: the pair's symbol ids and the merged symbol's id. */
  private final int[] mergeLeft;
  private final int[] mergeRight;
  private final int[] mergeResult;
  private final Map<String, int[]> cache = new ConcurrentHashMap<>();

  private ClipTokenizer(ClipTokenizerFiles.Contents files) {
    Map<String, Integer> vocab = files.vocab();
    Path vocabFile = files.vocabFile();
    Map<Integer, String> byId = new HashMap<>(vocab.size() * 2);
    int maxId = -1;
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      String previous = byId.put(e.getValue(), e.getKey());
      if (previous != null) {
        throw new PackException(vocabFile + ": expected one token per id, found id " + e.getValue() + " for both \""
            + TokenizerFiles.abbreviate(previous) + "\" and \"" + TokenizerFiles.abbreviate(e.getKey()) + "\"");
      }
      maxId = Math.max(maxId, e.getValue());
    }
    this.vocabSize = maxId + 1;
    this.startId = special(vocab, vocabFile, START);
    this.endId = special(vocab, vocabFile, END);
    String[] byteChars = byteCharacters();
    for (int b = 0; b < 256; b++) {
      byteSymbol[b] = symbol(vocab, vocabFile, byteChars[b], "byte 0x" + Integer.toHexString(b));
      byteSymbolEnd[b] = symbol(vocab, vocabFile, byteChars[b] + ClipTokenizerFiles.END_OF_WORD,
          "byte 0x" + Integer.toHexString(b) + " ending a word");
    }
    List<String[]> merges = files.merges();
    this.ranks = new PairRanks(merges.size());
    this.mergeLeft = new int[merges.size()];
    this.mergeRight = new int[merges.size()];
    this.mergeResult = new int[merges.size()];
    for (int rank = 0; rank < merges.size(); rank++) {
      String[] m = merges.get(rank);
      Integer a = vocab.get(m[0]);
      Integer b = vocab.get(m[1]);
      Integer merged = vocab.get(m[0] + m[1]);
      if (a == null || b == null || merged == null) {
        String missing = a == null ? m[0] : b == null ? m[1] : m[0] + m[1];
        throw new PackException(files.mergeSources().get(rank) + ": expected the merge \""
            + TokenizerFiles.abbreviate(m[0] + " " + m[1]) + "\" to use and make tokens of " + vocabFile.getFileName()
            + ", found \"" + TokenizerFiles.abbreviate(missing) + "\" missing from it");
      }
      // A pair listed twice keeps its later rank, as Python's dict(zip(merges, range(...))) does.
      ranks.put(a, b, rank);
      mergeLeft[rank] = a;
      mergeRight[rank] = b;
      mergeResult[rank] = merged;
    }
    if (files.padId() >= 0) {
      this.padId = files.padId();
    } else {
      Integer pad = vocab.get(files.padToken());
      if (pad == null) {
        Path where = files.padFile() != null ? files.padFile() : vocabFile;
        throw new PackException(where + ": expected pad_token to be a token of " + vocabFile.getFileName() + ", found \""
            + TokenizerFiles.abbreviate(files.padToken()) + "\", which it does not hold");
      }
      this.padId = pad;
    }
    this.maxLength = files.maxLength();
  }

  /**
   * Reads a tokenizer folder of a Stable Diffusion export ({@code tokenizer/}, {@code tokenizer_2/}): {@code vocab.json}
   * and {@code merges.txt} when present, else {@code tokenizer.json}; the pad token from {@code special_tokens_map.json}
   * or {@code tokenizer_config.json} (default {@code <|endoftext|>}), the length from {@code model_max_length}
   * (default 77).
   *
   * @throws PackException naming the file, and what was expected and found, when a file is missing or unusable
   */
  public static ClipTokenizer open(Path tokenizerDir) {
    return new ClipTokenizer(ClipTokenizerFiles.read(tokenizerDir));
  }

  /**
   * The content ids of {@code text}, without SOT and EOT. Any string is accepted: lone surrogates become U+FFFD (as
   * ftfy's {@code fix_surrogates} does) rather than an exception, and a literal {@code <|endoftext|>} in the text is
   * that token's id, as in OpenAI's and Hugging Face's tokenizers.
   */
  public int[] encode(String text) {
    IntList out = new IntList(Math.max(8, text.length() / 3));
    tokenize(text, out);
    return out.toArray();
  }

  /** How many content ids {@code text} makes (SOT and EOT not counted), for a token budget. */
  public int countTokens(String text) {
    IntList counter = new IntList(0);
    counter.countOnly = true;
    tokenize(text, counter);
    return counter.size;
  }

  /**
   * Exactly {@link #maxLength()} ids: SOT, the content ids, EOT, padding. Longer content keeps its first
   * {@code maxLength - 2} ids and still ends in EOT, as Hugging Face's {@code truncation=True} and
   * {@code clip.tokenize(..., truncate=True)}.
   */
  public Encoded encodePadded(String text) {
    int[] content = encode(text);
    int kept = Math.min(content.length, maxLength - 2);
    int[] ids = new int[maxLength];
    int[] mask = new int[maxLength];
    ids[0] = startId;
    System.arraycopy(content, 0, ids, 1, kept);
    int eot = kept + 1;
    ids[eot] = endId;
    Arrays.fill(ids, eot + 1, maxLength, padId);
    Arrays.fill(mask, 0, eot + 1, 1);
    return new Encoded(ids, mask, eot, kept, content.length - kept);
  }

  /** Ids per padded sequence (77 for every CLIP text encoder of Stable Diffusion). */
  public int maxLength() {
    return maxLength;
  }

  /** The pad id: 49407 ({@code <|endoftext|>}) for SD 1.x, 0 ({@code !}) for SD 2.x and SDXL's second tokenizer. */
  public int padId() {
    return padId;
  }

  /** The id of {@code <|startoftext|>}. */
  public int startId() {
    return startId;
  }

  /** The id of {@code <|endoftext|>}. */
  public int endId() {
    return endId;
  }

  /** One more than the largest id. */
  public int vocabSize() {
    return vocabSize;
  }

  private void tokenize(String text, IntList out) {
    String s = ClipTextCleaner.clean(text);
    int n = s.length();
    int i = 0;
    while (i < n) {
      if (ClipPreTokenizer.isSkipped(s.charAt(i))) {
        i++;
        continue;
      }
      int end = ClipPreTokenizer.pieceEnd(s, i);
      piece(s.substring(i, end), out);
      i = end;
    }
  }

  private void piece(String piece, IntList out) {
    if (piece.equals(START)) {
      out.add(startId);
      return;
    }
    if (piece.equals(END)) {
      out.add(endId);
      return;
    }
    int[] ids = cache.get(piece);
    if (ids == null) {
      ids = bpe(piece.getBytes(StandardCharsets.UTF_8));
      if (piece.length() <= CACHE_PIECE_CHARS) {
        if (cache.size() >= CACHE_ENTRIES) {
          cache.clear();
        }
        cache.put(piece, ids);
      }
    }
    out.addAll(ids);
  }

  /** Merges the piece's byte symbols by rank, every occurrence of the best pair left to right, until none applies. */
  private int[] bpe(byte[] bytes) {
    int len = bytes.length;
    int[] sym = new int[len];
    for (int i = 0; i < len - 1; i++) {
      sym[i] = byteSymbol[bytes[i] & 0xFF];
    }
    sym[len - 1] = byteSymbolEnd[bytes[len - 1] & 0xFF];
    while (len > 1) {
      int best = Integer.MAX_VALUE;
      for (int i = 0; i < len - 1; i++) {
        int r = ranks.get(sym[i], sym[i + 1]);
        if (r >= 0 && r < best) {
          best = r;
        }
      }
      if (best == Integer.MAX_VALUE) {
        break;
      }
      int a = mergeLeft[best];
      int b = mergeRight[best];
      int merged = mergeResult[best];
      int w = 0;
      for (int i = 0; i < len; ) {
        if (i < len - 1 && sym[i] == a && sym[i + 1] == b) {
          sym[w++] = merged;
          i += 2;
        } else {
          sym[w++] = sym[i++];
        }
      }
      len = w;
    }
    return Arrays.copyOf(sym, len);
  }

  private static int special(Map<String, Integer> vocab, Path file, String token) {
    Integer id = vocab.get(token);
    if (id == null) {
      throw new PackException(file + ": expected the special token " + token + ", found no such token");
    }
    return id;
  }

  private static int symbol(Map<String, Integer> vocab, Path file, String token, String what) {
    Integer id = vocab.get(token);
    if (id == null) {
      throw new PackException(file + ": expected the byte-level token \"" + token + "\" (" + what
          + "), found no such token");
    }
    return id;
  }

  /**
   * CLIP's (and GPT-2's) {@code bytes_to_unicode}: printable Latin-1 bytes stand for themselves, the other 68 bytes
   * for U+0100 onwards in byte order.
   */
  static String[] byteCharacters() {
    String[] chars = new String[256];
    int next = 256;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      chars[b] = String.valueOf((char) (printable ? b : next++));
    }
    return chars;
  }

  /** Merge ranks keyed by the pair of symbol ids, open addressing, no boxing. */
  private static final class PairRanks {
    private final long[] keys;
    private final int[] values;
    private final int mask;

    PairRanks(int expected) {
      int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
      keys = new long[capacity];
      values = new int[capacity];
      Arrays.fill(keys, -1L);
      mask = capacity - 1;
    }

    private static long key(int a, int b) {
      return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private int slot(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h >>> 32) & mask;
    }

    void put(int a, int b, int rank) {
      long k = key(a, b);
      int i = slot(k);
      while (keys[i] != -1L && keys[i] != k) {
        i = (i + 1) & mask;
      }
      keys[i] = k;
      values[i] = rank;
    }

    int get(int a, int b) {
      long k = key(a, b);
      int i = slot(k);
      while (keys[i] != -1L) {
        if (keys[i] == k) {
          return values[i];
        }
        i = (i + 1) & mask;
      }
      return -1;
    }
  }

  /** A growable int array; counts without storing when asked to. */
  private static final class IntList {
    int[] data;
    int size;
    boolean countOnly;

    IntList(int capacity) {
      data = new int[capacity];
    }

    void add(int v) {
      if (!countOnly) {
        if (size == data.length) {
          data = Arrays.copyOf(data, Math.max(8, size * 2));
        }
        data[size] = v;
      }
      size++;
    }

    void addAll(int[] vs) {
      if (!countOnly) {
        if (size + vs.length > data.length) {
          data = Arrays.copyOf(data, Math.max(size + vs.length, size * 2));
        }
        System.arraycopy(vs, 0, data, size, vs.length);
      }
      size += vs.length;
    }

    int[] toArray() {
      return Arrays.copyOf(data, size);
    }
  }
}
