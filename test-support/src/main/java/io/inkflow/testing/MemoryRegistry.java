package io.inkflow.testing;

import io.inkflow.schemas.registry.SchemaRegistryClient;
import io.inkflow.schemas.registry.SchemaRegistryException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * A schema registry in a map, for tests where an HTTP registry is not the point. Ids are global, as
 * Confluent's are: the same schema under two subjects has one id. There are no compatibility rules
 * (every schema is accepted); an unknown id, or a lookup of a schema not registered under the
 * subject, fails with the {@link SchemaRegistryException.NotFoundException} the REST client raises.
 * The REST client against a real registry is tested in infra, with the embedded registry.
 */
public final class MemoryRegistry implements SchemaRegistryClient {
  private final List<Schema> byId = new ArrayList<>();
  private final Map<String, Integer> ids = new HashMap<>();
  private final Map<String, Set<Integer>> subjects = new HashMap<>();

  @Override
  public synchronized int register(String subject, Schema schema) {
    int id = ids.computeIfAbsent(schema.toString(), s -> {
      byId.add(schema);
      return byId.size();
    });
    subjects.computeIfAbsent(subject, s -> new HashSet<>()).add(id);
    return id;
  }

  @Override
  public synchronized int lookup(String subject, Schema schema) {
    Integer id = ids.get(schema.toString());
    if (id == null || !subjects.getOrDefault(subject, Set.of()).contains(id)) {
      throw new SchemaRegistryException.NotFoundException("schema " + schema.getFullName() + " is not registered under subject "
          + subject, 40403);
    }
    return id;
  }

  @Override
  public synchronized Schema getById(int id) {
    if (id < 1 || id > byId.size()) {
      throw new SchemaRegistryException.NotFoundException("schema id " + id + " not found", 40403);
    }
    return byId.get(id - 1);
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
