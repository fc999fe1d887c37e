package io.inkflow.bench.ocr;

import java.text.Normalizer;
import java.util.List;

/**
 * How a read is scored against its truth: both sides NFKC-normalised (full-width Latin and digits become ASCII,
 * compatibility ideographs their unified forms) with all whitespace removed, then compared code point by code
 * point. A line is exact when the two are equal; R_a ("accuracy rate", as in the ICDAR recognition tasks) is
 * {@code max(0, 1 - editDistance / truthLength)}.
 */
public final class OcrScore {
  /** z for a two-sided 95% interval. */
  private static final double Z95 = 1.959963984540054;

  private OcrScore() {}

  /** NFKC, then every whitespace or space-separator code point removed. */
  public static String normalize(String text) {
    String nfkc = Normalizer.normalize(text, Normalizer.Form.NFKC);
    StringBuilder out = new StringBuilder(nfkc.length());
    nfkc.codePoints().filter(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c)).forEach(out::appendCodePoint);
    return out.toString();
  }

  /** The lines of a read in reading order, joined without separators and normalised. */
  public static String joined(List<String> lines) {
    return normalize(String.join("", lines));
  }

  /** Levenshtein distance over code points (insertions, deletions, substitutions, each cost 1). */
  public static int editDistance(String a, String b) {
    int[] x = a.codePoints().toArray();
    int[] y = b.codePoints().toArray();
    int[] previous = new int[y.length + 1];
    int[] current = new int[y.length + 1];
    for (int j = 0; j <= y.length; j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= x.length; i++) {
      current[0] = i;
      for (int j = 1; j <= y.length; j++) {
        int substitute = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[y.length];
  }

  /**
   * R_a of a read against its truth, both already normalised: {@code max(0, 1 - d / |truth|)}; 1 when both are
   * empty, 0 when only the truth is.
   */
  public static double accuracyRate(String truth, String read) {
    int length = truth.codePointCount(0, truth.length());
    if (length == 0) {
      return read.isEmpty() ? 1.0 : 0.0;
    }
    return Math.max(0.0, 1.0 - (double) editDistance(truth, read) / length);
  }

  /**
   * The Wilson score interval for {@code successes} of {@code trials} at 95%: {@code [low, high]}; {@code [0, 1]}
   * when there are no trials.
   */
  public static double[] wilson95(int successes, int trials) {
    if (successes < 0 || successes > trials) {
      throw new IllegalArgumentException("expected 0 <= successes <= trials, found " + successes + " of " + trials);
    }
    if (trials == 0) {
      return new double[] {0.0, 1.0};
    }
    double p = (double) successes / trials;
    double z2 = Z95 * Z95;
    double denominator = 1 + z2 / trials;
    double centre = (p + z2 / (2.0 * trials)) / denominator;
    double half = Z95 * Math.sqrt(p * (1 - p) / trials + z2 / (4.0 * trials * trials)) / denominator;
    // the bounds at 0 and n are exactly 0 and 1; rounding would leave them a hair inside
    return new double[] {successes == 0 ? 0.0 : centre - half, successes == trials ? 1.0 : centre + half};
  }
}
