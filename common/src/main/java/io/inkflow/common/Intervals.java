package io.inkflow.common;

import java.time.Duration;

/** Punctuation and housekeeping intervals derived from a retention or timeout. */
public final class Intervals {
  private Intervals() {}

  /** {@code value} kept within {@code [min, max]}. */
  public static Duration clamp(Duration value, Duration min, Duration max) {
    if (min.compareTo(max) > 0) {
      throw new IllegalArgumentException("expected min <= max, found " + min + " > " + max);
    }
    return value.compareTo(min) < 0 ? min : value.compareTo(max) > 0 ? max : value;
  }

  /** How often a store kept for {@code retention} is swept: a twentieth of it, between 1 s and 1 h. */
  public static Duration purgeEvery(Duration retention) {
    return clamp(retention.dividedBy(20), Duration.ofSeconds(1), Duration.ofHours(1));
  }
}
