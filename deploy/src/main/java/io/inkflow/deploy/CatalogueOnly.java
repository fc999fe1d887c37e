package io.inkflow.deploy;

import io.inkflow.schemas.registry.SchemaRegistryClient;
import org.apache.avro.Schema;

/**
 * A registry client for reading the topic catalogue's names, counts and configs only: the generator
 * never serialises a record, so every call is refused.
 */
final class CatalogueOnly implements SchemaRegistryClient {
  static final SchemaRegistryClient REGISTRY = new CatalogueOnly();

  private CatalogueOnly() {}

  @Override
  public int register(String subject, Schema schema) {
    throw refused();
  }

  @Override
  public int lookup(String subject, Schema schema) {
    throw refused();
  }

  @Override
  public Schema getById(int id) {
    throw refused();
  }

  @Override
  public boolean testCompatibility(String subject, Schema schema) {
    throw refused();
  }

  @Override
  public String describe() {
    return "no registry: the manifest generator reads the catalogue only";
  }

  @Override
  public void close() {}

  private static UnsupportedOperationException refused() {
    return new UnsupportedOperationException("the manifest generator reads the topic catalogue only; it has no schema registry");
  }
}
