package io.inkflow.schemas.registry;

import org.apache.avro.Schema;

/**
 * The subset of the Confluent Schema Registry REST API that producers and consumers need.
 * Implementations cache ids and schemas, so steady-state serialisation makes no HTTP calls.
 */
public interface SchemaRegistryClient extends AutoCloseable {

  /**
   * Registers {@code schema} under {@code subject} (or finds it there) and returns its global id.
   *
   * @throws SchemaRegistryException.IncompatibleSchemaException if it breaks the subject's compatibility rule
   * @throws SchemaRegistryException.InvalidSchemaException if the registry refuses it as invalid
   * @throws SchemaRegistryUnavailableException if the registry cannot be reached before the retry deadline
   */
  int register(String subject, Schema schema);

  /** Returns the id of {@code schema} if it is already registered under {@code subject}. */
  int lookup(String subject, Schema schema);

  /** Returns the schema with global id {@code id}. */
  Schema getById(int id);

  /** Asks whether {@code schema} may be registered as the next version of {@code subject}. */
  boolean testCompatibility(String subject, Schema schema);

  /** The registry's base URL(s), for logs; never contains credentials. */
  String describe();

  @Override
  void close();
}
