package io.inkflow.streams.rewrite;

/** A refused request: a reason code and a message saying what was expected and what was found. */
public final class Rejection extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final RejectReason reason;

  public Rejection(RejectReason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public RejectReason reason() {
    return reason;
  }
}
