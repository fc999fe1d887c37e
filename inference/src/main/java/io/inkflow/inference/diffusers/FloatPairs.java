package io.inkflow.inference.diffusers;

import java.lang.reflect.Field;
import sun.misc.Unsafe;

/**
 * Moves two adjacent floats as one 8-byte word. Flux's 2x2 packing moves latents in such pairs (the
 * two columns of a cell stay together), and moving them as words takes the packing from 3-5x to
 * about 1.6x the time of {@code System.arraycopy} of the same bytes on this project's reference
 * machine ({@code docs/benchmarks.md}, "Flux latent packing"). The word moves go through
 * {@code sun.misc.Unsafe}, which has no bounds checks: every caller checks its index ranges against
 * the arrays' lengths once, before its loops. Where {@code Unsafe} is not available, the same moves
 * run as two checked float copies.
 */
final class FloatPairs {
  private static final Unsafe UNSAFE = unsafe();
  private static final long BASE = UNSAFE == null ? 0 : UNSAFE.arrayBaseOffset(float[].class);
  private static final boolean WORDS = UNSAFE != null && UNSAFE.arrayIndexScale(float[].class) == Float.BYTES;

  private FloatPairs() {}

  /** Whether pairs move as words (false: as two float copies). */
  static boolean words() {
    return WORDS;
  }

  /**
   * {@code to[t] = from[f]; to[t + 1] = from[f + 1]}. Callers guarantee {@code 0 <= f}, {@code f + 1 <
   * from.length}, {@code 0 <= t} and {@code t + 1 < to.length}.
   */
  static void move(float[] from, int f, float[] to, int t) {
    if (WORDS) {
      UNSAFE.putLong(to, BASE + (long) t * Float.BYTES, UNSAFE.getLong(from, BASE + (long) f * Float.BYTES));
    } else {
      to[t] = from[f];
      to[t + 1] = from[f + 1];
    }
  }

  private static Unsafe unsafe() {
    try {
      Field f = Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      return (Unsafe) f.get(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
