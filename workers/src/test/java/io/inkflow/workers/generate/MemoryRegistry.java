package io.inkflow.workers.generate;

import io.inkflow.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/** A schema registry in a map, for unit tests. */
final class MemoryRegistry implements SchemaRegistryClient {
  private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
  private final Map<String, Integer> ids = new ConcurrentHashMap<>();

  @Override
  public synchronized int register(String subject, Schema schema) {
    return ids.computeIfAbsent(schema.toString(), s -> {
      int id = byId.size() + 1;
      byId.put(id, schema);
      return id;
    });
  }

  @Override
  public int lookup(String subject, Schema schema) {
    return register(subject, schema);
  }

  @Override
  public Schema getById(int id) {
    return byId.get(id);
  }

  @Override
  public boolean testCompatibility(String subject, Schema schema) {
    return true;
  }

  @Override
  public String describe() {
    return "memory";
  }

  @Override
  public void close() {}
}
