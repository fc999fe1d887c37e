package io.inkflow.inference.text;

/**
 * A batch of token ids with their attention mask, row-major [rows, length].
 *
 * @param rows batch rows
 * @param length ids per row
 * @param ids token ids, padding where the mask is 0
 * @param mask 1 for tokens, 0 for padding
 */
public record PaddedIds(int rows, int length, long[] ids, long[] mask) {

  public PaddedIds {
    if (ids.length != rows * length || mask.length != rows * length) {
      throw new IllegalArgumentException("expected " + rows * length + " ids and mask values, found "
          + ids.length + " and " + mask.length);
    }
  }

  /** [rows, length]. */
  public long[] shape() {
    return new long[] {rows, length};
  }
}
