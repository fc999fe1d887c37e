package io.inkflow.inference.pack;

/**
 * A resolution bucket: a size the pack generates at. Jobs in one batch share a bucket.
 *
 * @param width pixels
 * @param height pixels
 */
public record Bucket(int width, int height) {

  public Bucket {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("expected a positive size, found " + width + "x" + height);
    }
  }

  /** width / height. */
  public double aspect() {
    return (double) width / height;
  }

  public long area() {
    return (long) width * height;
  }

  /** {@code WIDTHxHEIGHT}, e.g. {@code 384x256}. */
  @Override
  public String toString() {
    return width + "x" + height;
  }
}
