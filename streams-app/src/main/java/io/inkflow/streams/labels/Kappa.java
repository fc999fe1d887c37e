package io.inkflow.streams.labels;

import java.util.Locale;

/**
 * Cohen's kappa of two raters over the same items: how much more often they agree than two raters
 * choosing independently with their own frequencies would, {@code (po - pe) / (1 - pe)}.
 *
 * <p>Undefined, and reported so rather than as a number, in two cases: no items ({@code n = 0}), and
 * chance agreement of 1 ({@code pe = 1}: both raters put every item in one and the same category, so
 * there is nothing to agree on beyond chance and the formula is 0/0). {@link #value()} is then NaN.
 *
 * @param n items rated by both
 * @param observed the share of items on which they agree ({@code po}); NaN when {@code n = 0}
 * @param expected the agreement expected by chance from their marginals ({@code pe}); NaN when {@code n = 0}
 * @param value kappa, in [-1, 1]; NaN when undefined
 */
public record Kappa(long n, double observed, double expected, double value) {

  /** Whether kappa is a number. */
  public boolean defined() {
    return !Double.isNaN(value);
  }

  /** Why kappa is undefined, or null when it is defined. */
  public String undefinedReason() {
    if (defined()) {
      return null;
    }
    return n == 0 ? "no items rated by both" : "both raters used one and the same category for every item";
  }

  /**
   * Kappa of a confusion table: {@code table[i][j]} counts the items rater A put in category {@code i} and
   * rater B in category {@code j}. The table must be square with non-negative counts.
   */
  public static Kappa cohen(long[][] table) {
    int k = table.length;
    long[] rows = new long[k];
    long[] cols = new long[k];
    long n = 0;
    long agree = 0;
    for (int i = 0; i < k; i++) {
      if (table[i].length != k) {
        throw new IllegalArgumentException("expected a square table of " + k + " categories, row " + i + " has " + table[i].length);
      }
      for (int j = 0; j < k; j++) {
        long c = table[i][j];
        if (c < 0) {
          throw new IllegalArgumentException("expected non-negative counts, found " + c + " at [" + i + "][" + j + "]");
        }
        rows[i] += c;
        cols[j] += c;
        n += c;
        if (i == j) {
          agree += c;
        }
      }
    }
    if (n == 0) {
      return new Kappa(0, Double.NaN, Double.NaN, Double.NaN);
    }
    double po = (double) agree / n;
    double pe = 0;
    for (int i = 0; i < k; i++) {
      pe += ((double) rows[i] / n) * ((double) cols[i] / n);
    }
    // pe is 1 exactly when one category holds every item for both raters (each marginal is 0 or n).
    boolean degenerate = false;
    for (int i = 0; i < k; i++) {
      degenerate |= rows[i] == n && cols[i] == n;
    }
    double kappa = degenerate ? Double.NaN : (po - pe) / (1 - pe);
    return new Kappa(n, po, pe, kappa);
  }

  @Override
  public String toString() {
    return defined() ? String.format(Locale.ROOT, "kappa %.3f (n = %d)", value, n)
        : "kappa undefined (n = " + n + "): " + undefinedReason();
  }
}
