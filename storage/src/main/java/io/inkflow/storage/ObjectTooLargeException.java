package io.inkflow.storage;

/** An object larger than the reader's limit: refused before it is read into memory. */
public final class ObjectTooLargeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ObjectTooLargeException(String message) {
    super(message);
  }
}
