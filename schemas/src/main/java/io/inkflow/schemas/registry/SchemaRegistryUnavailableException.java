package io.inkflow.schemas.registry;

import org.apache.kafka.common.errors.RetriableException;

/**
 * The registry could not be reached (or answered 5xx) on every attempt within the retry deadline.
 *
 * <p>This is an infrastructure outage, not bad data: it is deliberately not a
 * {@link org.apache.kafka.common.errors.SerializationException}, so stream stages do not dead-letter
 * good records while the registry is down.
 */
public final class SchemaRegistryUnavailableException extends RetriableException {
  private static final long serialVersionUID = 1L;

  public SchemaRegistryUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
