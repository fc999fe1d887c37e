package io.inkflow.inference.image;

/** Bytes that cannot be used as an image, with a machine-readable reason for dead-letter headers. */
public class InvalidImageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why an image was refused. */
  public enum Reason {
    /** Not a PNG at all (wrong signature, too short). */
    NOT_PNG,
    /** A PNG whose structure is broken (bad header, CRC mismatch, undecodable data). */
    CORRUPT,
    /** A valid PNG over the allowed pixel count: refused before decoding (image bomb guard). */
    TOO_LARGE
  }

  private final Reason reason;

  public InvalidImageException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public InvalidImageException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
