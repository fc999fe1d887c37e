package io.inkflow.storage;

/** No object at a URI, or a URI that cannot name one: reading it again will not help. */
public final class ObjectMissingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ObjectMissingException(String message) {
    super(message);
  }
}
