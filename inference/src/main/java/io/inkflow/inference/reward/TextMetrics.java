package io.inkflow.inference.reward;

import io.inkflow.inference.text.GlyphTokenizer;
import java.io.ByteArrayOutputStream;

/**
 * OCR decoding and Seedream's text-rendering metrics.
 *
 * <p>Greedy decoding reads the most likely ByT5 id at each position, stops at eos, skips pad and
 * unk, and turns the bytes into text with a lenient UTF-8 decoder that drops any byte not starting
 * a valid sequence (the same rule as {@code scripts/models}, so Python and Java agree on what an
 * untrained head "read").
 */
public final class TextMetrics {
  private TextMetrics() {}

  /** Greedy decode of logits [positions, vocab] starting at {@code offset}. */
  public static String decodeGreedy(float[] logits, int offset, int positions, int vocab) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int p = 0; p < positions; p++) {
      int base = offset + p * vocab;
      int best = 0;
      for (int v = 1; v < vocab; v++) {
        if (logits[base + v] > logits[base + best]) {
          best = v;
        }
      }
      if (best == GlyphTokenizer.EOS) {
        break;
      }
      if (best >= GlyphTokenizer.OFFSET) {
        bytes.write(best - GlyphTokenizer.OFFSET);
      }
    }
    return utf8Lenient(bytes.toByteArray());
  }

  /** UTF-8 decode that drops any byte which does not start a complete, valid, shortest-form sequence. */
  public static String utf8Lenient(byte[] data) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < data.length) {
      int b = data[i] & 0xFF;
      int n;
      int cp;
      if (b < 0x80) {
        n = 1;
        cp = b;
      } else if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
        cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        cp = b & 0x0F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        cp = b & 0x07;
      } else {
        i++;
        continue;
      }
      boolean valid = i + n <= data.length;
      for (int k = 1; valid && k < n; k++) {
        int c = data[i + k] & 0xFF;
        valid = c >= 0x80 && c <= 0xBF;
        cp = (cp << 6) | (c & 0x3F);
      }
      int minimum = n == 1 ? 0 : n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
      if (!valid || cp < minimum || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
        i++;
        continue;
      }
      out.appendCodePoint(cp);
      i += n;
    }
    return out.toString();
  }

  /** R_a and R_h of {@code recognized} against {@code target} (non-empty). */
  public static TextRenderingScore score(String recognized, String target) {
    int[] r = recognized.codePoints().toArray();
    int[] t = target.codePoints().toArray();
    if (t.length == 0) {
      throw new IllegalArgumentException("expected a non-empty target text, found none");
    }
    double accuracy = Math.max(0.0, 1.0 - (double) levenshtein(r, t) / t.length);
    double hitRate = (double) lcs(r, t) / t.length;
    return new TextRenderingScore(target, recognized, accuracy, hitRate);
  }

  /** Edit distance (insertions, deletions, substitutions, each cost 1). */
  public static int levenshtein(int[] a, int[] b) {
    int[] prev = new int[b.length + 1];
    int[] cur = new int[b.length + 1];
    for (int j = 0; j <= b.length; j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length; i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length; j++) {
        int substitute = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
        cur[j] = Math.min(Math.min(prev[j] + 1, cur[j - 1] + 1), substitute);
      }
      int[] swap = prev;
      prev = cur;
      cur = swap;
    }
    return prev[b.length];
  }

  /** Length of the longest common subsequence. */
  public static int lcs(int[] a, int[] b) {
    int[] prev = new int[b.length + 1];
    int[] cur = new int[b.length + 1];
    for (int i = 1; i <= a.length; i++) {
      cur[0] = 0;
      for (int j = 1; j <= b.length; j++) {
        cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
      }
      int[] swap = prev;
      prev = cur;
      cur = swap;
    }
    return prev[b.length];
  }
}
