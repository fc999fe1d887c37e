package io.inkflow.schemas.serde;

import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A string field that cannot travel as it is: an unpaired UTF-16 surrogate when writing, or bytes that
 * are not UTF-8 when reading. Its message names the field (as a path, e.g. {@code request.prompt})
 * and where in the string the problem is. Bad data, never retried: dead-letter it (code
 * {@code INVALID_UTF8} on the read side) or report it to the client.
 */
public final class InvalidTextException extends SerializationException {
  private static final long serialVersionUID = 1L;

  private final transient Deque<String> path = new ArrayDeque<>();
  private final String problem;
  private String context = "";

  InvalidTextException(String problem) {
    super(problem);
    this.problem = problem;
  }

  /** Adds the enclosing field's name as the outermost step of the path. */
  InvalidTextException within(String field) {
    path.addFirst(field);
    return this;
  }

  /** Says which record and topic were being written or read. */
  InvalidTextException context(String what) {
    this.context = what;
    return this;
  }

  /** The field path, e.g. {@code request.prompt}, or empty when unknown. */
  public String field() {
    return String.join(".", path);
  }

  @Override
  public String getMessage() {
    String field = field();
    return context + (field.isEmpty() ? "" : "field " + field + ": ") + problem;
  }
}
