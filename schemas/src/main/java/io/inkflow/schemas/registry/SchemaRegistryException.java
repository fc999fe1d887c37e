package io.inkflow.schemas.registry;

/**
 * A schema registry answered with an error, or could not be reached. Carries the HTTP status and the
 * Confluent error code so callers can tell an incompatible schema from an invalid one from a missing one.
 */
public class SchemaRegistryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int httpStatus;
  private final int errorCode;

  public SchemaRegistryException(String message, int httpStatus, int errorCode) {
    super(message);
    this.httpStatus = httpStatus;
    this.errorCode = errorCode;
  }

  public SchemaRegistryException(String message, Throwable cause) {
    super(message, cause);
    this.httpStatus = -1;
    this.errorCode = -1;
  }

  /** HTTP status of the registry's answer, or -1 when there was none. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Confluent error code (e.g. 40403 schema not found, 409 incompatible), or -1 when there was none. */
  public int errorCode() {
    return errorCode;
  }

  /** HTTP 409: the schema breaks the subject's compatibility rule. */
  public static final class IncompatibleSchemaException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public IncompatibleSchemaException(String message, int errorCode) {
      super(message, 409, errorCode);
    }
  }

  /** HTTP 422: the schema (or a request parameter) is invalid. */
  public static final class InvalidSchemaException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public InvalidSchemaException(String message, int errorCode) {
      super(message, 422, errorCode);
    }
  }

  /** HTTP 404: no such schema id, subject or version. */
  public static final class NotFoundException extends SchemaRegistryException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message, int errorCode) {
      super(message, 404, errorCode);
    }
  }
}
