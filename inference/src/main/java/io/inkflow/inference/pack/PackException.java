package io.inkflow.inference.pack;

/**
 * A model pack that cannot be used: a missing or unreadable file, a manifest field out of range,
 * or a graph whose inputs and outputs differ from what the manifest or the pipeline expects. The
 * message names the pack part and says what was expected and what was found.
 */
public class PackException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PackException(String message) {
    super(message);
  }

  public PackException(String message, Throwable cause) {
    super(message, cause);
  }
}
