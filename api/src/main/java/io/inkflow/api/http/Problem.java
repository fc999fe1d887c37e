package io.inkflow.api.http;

import java.util.List;
import java.util.Map;

/**
 * An error answered as an RFC 9457 problem document ({@code application/problem+json}): a stable
 * {@code type} per kind, the HTTP status, a human title and detail and, for uploads, one entry per bad
 * line ({@code line}, {@code code}, {@code message}).
 */
public final class Problem extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** Base of every problem type URI. */
  public static final String TYPE_BASE = "https://inkflow.io/problems/";

  /** One bad line of an upload. */
  public record LineError(long line, String code, String message) {}

  private final int status;
  private final String type;
  private final String title;
  private final transient List<LineError> errors;
  private final transient Map<String, String> headers;

  public Problem(int status, String type, String title, String detail, List<LineError> errors, Map<String, String> headers) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = List.copyOf(errors);
    this.headers = Map.copyOf(headers);
  }

  public Problem(int status, String type, String title, String detail) {
    this(status, type, title, detail, List.of(), Map.of());
  }

  public static Problem badRequest(String detail) {
    return new Problem(400, "bad-request", "Bad request", detail);
  }

  public static Problem notFound(String detail) {
    return new Problem(404, "not-found", "Not found", detail);
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public String title() {
    return title;
  }

  public List<LineError> errors() {
    return errors;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
