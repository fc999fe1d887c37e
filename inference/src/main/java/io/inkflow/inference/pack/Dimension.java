package io.inkflow.inference.pack;

/**
 * One dimension of a declared tensor shape: a fixed size, or a symbol such as {@code batch} that
 * the graph accepts at any size.
 *
 * @param symbol the symbolic name, or {@code null} for a fixed dimension
 * @param size the fixed size, or -1 for a symbolic dimension
 */
public record Dimension(String symbol, long size) {

  public Dimension {
    if ((symbol == null) == (size < 0)) {
      throw new IllegalArgumentException("a dimension is either symbolic or fixed: " + symbol + ", " + size);
    }
  }

  public static Dimension fixed(long size) {
    return new Dimension(null, size);
  }

  public static Dimension symbolic(String symbol) {
    return new Dimension(symbol, -1);
  }

  public boolean isFixed() {
    return symbol == null;
  }

  @Override
  public String toString() {
    return isFixed() ? Long.toString(size) : symbol;
  }
}
