package io.inkflow.inference.reward;

import io.inkflow.inference.text.GlyphTokenizer;
import java.io.ByteArrayOutputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * OCR decoding and Seedream's text-rendering metrics.
 *
 * <p>Greedy decoding reads the most likely ByT5 id at each position, stops at eos, skips pad and
 * unk, and turns the bytes into text with a lenient UTF-8 decoder that drops any byte not starting
 * a valid sequence (the same rule as {@code scripts/models}, so Python and Java agree on what an
 * untrained head "read").
 *
 * <p>{@link #matchTexts} scores what a line-reading OCR (PP-OCR) found against the texts an image was
 * asked to show: each requested text is aligned with the best-matching stretch of the lines read, in
 * reading order and joined, so a text split over lines or surrounded by other text is still found.
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

  /**
   * Seedream's text metrics of {@code lines} (what the OCR read, in reading order) against
   * {@code requested} (the texts to show): both NFKC-normalised with whitespace removed; each requested
   * text aligned with the stretch of the joined lines that it is closest to (fewest edits; extra text
   * around it costs nothing). R_a = max(0, 1 - total edits / total requested characters), R_h = requested
   * characters matched / total requested characters; available when every requested text reaches
   * R_a {@code availability}. Requested texts that are blank after normalisation are left out.
   *
   * @throws IllegalArgumentException when no requested text has a character
   */
  public static TextRenderingScore matchTexts(List<String> requested, List<String> lines, double availability) {
    int[] read = normalize(String.join("", lines)).codePoints().toArray();
    List<TextRenderingScore.TextMatch> matches = new ArrayList<>();
    long edits = 0;
    long hits = 0;
    long asked = 0;
    boolean available = true;
    for (String text : requested) {
      int[] t = normalize(text).codePoints().toArray();
      if (t.length == 0) {
        continue;
      }
      int[] m = semiGlobal(t, read);
      double accuracy = Math.max(0.0, 1.0 - (double) m[0] / t.length);
      matches.add(new TextRenderingScore.TextMatch(new String(t, 0, t.length), new String(read, m[2], m[3] - m[2]),
          accuracy, (double) m[1] / t.length));
      edits += m[0];
      hits += m[1];
      asked += t.length;
      available &= accuracy >= availability;
    }
    if (asked == 0) {
      throw new IllegalArgumentException("expected a requested text with a character, found " + requested);
    }
    return new TextRenderingScore(TextRenderingScore.PPOCR, String.join(" ", requested), String.join("\n", lines),
        Math.max(0.0, 1.0 - (double) edits / asked), (double) hits / asked, available, availability, lines, matches);
  }

  /** NFKC with every whitespace character removed. */
  public static String normalize(String text) {
    String n = Normalizer.normalize(text, Normalizer.Form.NFKC);
    StringBuilder out = new StringBuilder(n.length());
    n.codePoints().filter(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c)).forEach(out::appendCodePoint);
    return out.toString();
  }

  /**
   * Edit distance of {@code t} to its closest substring of {@code s}: {edits, matched characters on
   * that alignment, start and end of the substring in s}. Ties prefer the alignment with more matches.
   */
  static int[] semiGlobal(int[] t, int[] s) {
    int n = s.length;
    // Row i of the table: edits, hits and the substring start of the best alignment of t[0..i) ending at s[j).
    int[] d = new int[n + 1];
    int[] hit = new int[n + 1];
    int[] start = new int[n + 1];
    int[] nd = new int[n + 1];
    int[] nhit = new int[n + 1];
    int[] nstart = new int[n + 1];
    for (int j = 0; j <= n; j++) {
      start[j] = j;
    }
    for (int i = 1; i <= t.length; i++) {
      nd[0] = i;
      nhit[0] = 0;
      nstart[0] = 0;
      for (int j = 1; j <= n; j++) {
        boolean same = t[i - 1] == s[j - 1];
        int best = d[j - 1] + (same ? 0 : 1);
        int bestHits = hit[j - 1] + (same ? 1 : 0);
        int from = start[j - 1];
        if (d[j] + 1 < best || (d[j] + 1 == best && hit[j] > bestHits)) {
          best = d[j] + 1;
          bestHits = hit[j];
          from = start[j];
        }
        if (nd[j - 1] + 1 < best || (nd[j - 1] + 1 == best && nhit[j - 1] > bestHits)) {
          best = nd[j - 1] + 1;
          bestHits = nhit[j - 1];
          from = nstart[j - 1];
        }
        nd[j] = best;
        nhit[j] = bestHits;
        nstart[j] = from;
      }
      int[] swap = d;
      d = nd;
      nd = swap;
      swap = hit;
      hit = nhit;
      nhit = swap;
      swap = start;
      start = nstart;
      nstart = swap;
    }
    int end = 0;
    for (int j = 1; j <= n; j++) {
      if (d[j] < d[end] || (d[j] == d[end] && hit[j] > hit[end])) {
        end = j;
      }
    }
    return new int[] {d[end], hit[end], start[end], end};
  }
}
