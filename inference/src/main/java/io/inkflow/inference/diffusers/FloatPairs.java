package io.inkflow.inference.diffusers;

import java.lang.reflect.Field;
import sun.misc.Unsafe;

/**
 * Moves two adjacent floats as one 8-byte word. Flux's 2x2 packing moves latents in such pairs (the
 * two columns of a cell stay together), and moving them as words takes the packing from 3-5x to
 * under 2x the time of {@code System.arraycopy} of the same bytes on this project's reference
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
   * Moves {@code count} consecutive pairs {@code from[f + 2k], from[f + 2k + 1]} to {@code to[t + k * stride]}
   * and the float after it. Callers guarantee every index lies in its array.
   */
  static void scatter(float[] from, int f, float[] to, int t, int count, int stride) {
    if (WORDS) {
      long src = BASE + (long) f * Float.BYTES;
      long dst = BASE + (long) t * Float.BYTES;
      long step = (long) stride * Float.BYTES;
      for (int k = 0; k < count; k++, src += 8, dst += step) {
        UNSAFE.putLong(to, dst, UNSAFE.getLong(from, src));
      }
    } else {
      for (int k = 0; k < count; k++, f += 2, t += stride) {
        to[t] = from[f];
        to[t + 1] = from[f + 1];
      }
    }
  }

  /**
   * Moves the pairs at {@code from[f + k * stride]} ({@code count} of them) to consecutive pairs
   * {@code to[t + 2k], to[t + 2k + 1]}. Callers guarantee every index lies in its array.
   */
  static void gather(float[] from, int f, int stride, float[] to, int t, int count) {
    if (WORDS) {
      long src = BASE + (long) f * Float.BYTES;
      long dst = BASE + (long) t * Float.BYTES;
      long step = (long) stride * Float.BYTES;
      for (int k = 0; k < count; k++, src += step, dst += 8) {
        UNSAFE.putLong(to, dst, UNSAFE.getLong(from, src));
      }
    } else {
      for (int k = 0; k < count; k++, f += stride, t += 2) {
        to[t] = from[f];
        to[t + 1] = from[f + 1];
      }
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
