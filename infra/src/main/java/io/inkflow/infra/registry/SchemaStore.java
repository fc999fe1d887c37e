package io.inkflow.infra.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.schemas.registry.SchemaRegistryException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;

/**
 * The registry's state: global schema ids, subjects with their versions, and compatibility levels.
 * Identical schemas share one id across subjects, as in Confluent's registry.
 *
 * <p>With a journal file every change is appended as one JSON line and replayed on start, so ids
 * stay valid across restarts of the local stack (the Kafka log outlives the process too).
 * All methods are synchronized: the registry is small and writes are rare.
 */
final class SchemaStore implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A registered version of a subject. */
  record Version(String subject, int version, int id, Schema schema) {}

  private final Map<Integer, Schema> byId = new HashMap<>();
  private final Map<String, Integer> idByCanonical = new HashMap<>();
  private final Map<String, List<Integer>> subjects = new TreeMap<>();
  private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
  private CompatibilityLevel globalLevel;
  private int nextId = 1;
  private final BufferedWriter journal;

  SchemaStore(CompatibilityLevel defaultLevel, Path journalFile) {
    this.globalLevel = defaultLevel;
    if (journalFile == null) {
      this.journal = null;
      return;
    }
    try {
      if (Files.exists(journalFile)) {
        replay(journalFile);
      } else if (journalFile.getParent() != null) {
        Files.createDirectories(journalFile.getParent());
      }
      this.journal = Files.newBufferedWriter(journalFile, StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open schema registry journal " + journalFile, e);
    }
  }

  private void replay(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int lineNo = 1; lineNo <= lines.size(); lineNo++) {
      String line = lines.get(lineNo - 1);
      if (line.isBlank()) {
        continue;
      }
      JsonNode n;
      try {
        n = JSON.readTree(line);
      } catch (IOException e) {
        if (lineNo == lines.size()) {
          // A torn last line from a crash mid-write: its change was never acknowledged; drop it.
          break;
        }
        throw new IOException("schema registry journal " + file + " line " + lineNo + " is not JSON", e);
      }
      switch (n.path("op").asText()) {
        case "register" -> apply(n.get("subject").asText(), n.get("id").asInt(), new Schema.Parser().parse(n.get("schema").asText()));
        case "config" -> {
          CompatibilityLevel level = CompatibilityLevel.parse(n.get("level").asText());
          if (n.hasNonNull("subject")) {
            subjectLevels.put(n.get("subject").asText(), level);
          } else {
            globalLevel = level;
          }
        }
        case "delete" -> subjects.remove(n.get("subject").asText());
        default -> throw new IOException("schema registry journal " + file + " line " + lineNo + ": unknown op " + n.path("op"));
      }
    }
  }

  private void apply(String subject, int id, Schema schema) {
    byId.putIfAbsent(id, schema);
    idByCanonical.putIfAbsent(schema.toString(), id);
    List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
    if (!versions.contains(id)) {
      versions.add(id);
    }
    nextId = Math.max(nextId, id + 1);
  }

  private void write(ObjectNode entry) {
    if (journal == null) {
      return;
    }
    try {
      journal.write(entry.toString());
      journal.newLine();
      journal.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to schema registry journal", e);
    }
  }

  static Schema parse(String text) {
    try {
      return new Schema.Parser().parse(text);
    } catch (SchemaParseException | NullPointerException e) {
      throw new SchemaRegistryException.InvalidSchemaException("Invalid schema: " + e.getMessage(), 42201);
    }
  }

  /** Registers a schema under a subject; returns the existing version when it is already there. */
  synchronized Version register(String subject, Schema schema) {
    Optional<Version> existing = find(subject, schema);
    if (existing.isPresent()) {
      return existing.get();
    }
    List<String> problems = incompatibilities(subject, schema);
    if (!problems.isEmpty()) {
      throw new SchemaRegistryException.IncompatibleSchemaException(
          "Schema being registered is incompatible with an earlier schema for subject \"" + subject
              + "\" (" + level(subject) + "): " + String.join("; ", problems), 409);
    }
    String canonical = schema.toString();
    int id = idByCanonical.getOrDefault(canonical, nextId);
    ObjectNode entry = JSON.createObjectNode().put("op", "register").put("subject", subject).put("id", id).put("schema", canonical);
    write(entry);
    apply(subject, id, schema);
    List<Integer> versions = subjects.get(subject);
    return new Version(subject, versions.size(), id, schema);
  }

  /** The version of {@code subject} holding exactly {@code schema}, if any. */
  synchronized Optional<Version> find(String subject, Schema schema) {
    Integer id = idByCanonical.get(schema.toString());
    List<Integer> versions = subjects.get(subject);
    if (id == null || versions == null) {
      return Optional.empty();
    }
    int idx = versions.indexOf(id);
    return idx < 0 ? Optional.empty() : Optional.of(new Version(subject, idx + 1, id, byId.get(id)));
  }

  /** What stops {@code schema} from becoming the next version of {@code subject}; empty if nothing. */
  synchronized List<String> incompatibilities(String subject, Schema schema) {
    CompatibilityLevel level = level(subject);
    List<Integer> versions = subjects.getOrDefault(subject, List.of());
    if (level == CompatibilityLevel.NONE || versions.isEmpty()) {
      return List.of();
    }
    List<Integer> against = level.transitive() ? versions : List.of(versions.get(versions.size() - 1));
    List<String> problems = new ArrayList<>();
    for (int id : against) {
      Schema old = byId.get(id);
      if (level.checksBackward()) {
        describe(SchemaCompatibility.checkReaderWriterCompatibility(schema, old), "new schema cannot read data written by id " + id, problems);
      }
      if (level.checksForward()) {
        describe(SchemaCompatibility.checkReaderWriterCompatibility(old, schema), "schema id " + id + " cannot read data written by the new schema", problems);
      }
    }
    return problems;
  }

  private static void describe(SchemaCompatibility.SchemaPairCompatibility result, String what, List<String> into) {
    if (result.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      return;
    }
    List<String> details = new ArrayList<>();
    for (SchemaCompatibility.Incompatibility inc : result.getResult().getIncompatibilities()) {
      details.add(inc.getType() + " at " + inc.getLocation() + " (" + inc.getMessage() + ")");
    }
    into.add(what + ": " + String.join(", ", details));
  }

  synchronized Optional<Schema> byId(int id) {
    return Optional.ofNullable(byId.get(id));
  }

  synchronized List<String> subjects() {
    return List.copyOf(subjects.keySet());
  }

  synchronized List<String> subjectsOf(int id) {
    List<String> out = new ArrayList<>();
    subjects.forEach((s, ids) -> {
      if (ids.contains(id)) {
        out.add(s);
      }
    });
    return out;
  }

  /** Versions 1..n of a subject; empty if the subject is unknown. */
  synchronized List<Version> versions(String subject) {
    List<Integer> ids = subjects.get(subject);
    if (ids == null) {
      return List.of();
    }
    List<Version> out = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      out.add(new Version(subject, i + 1, ids.get(i), byId.get(ids.get(i))));
    }
    return out;
  }

  /** Removes a subject (its schema ids stay resolvable, as in Confluent's soft delete). */
  synchronized List<Integer> deleteSubject(String subject) {
    List<Version> versions = versions(subject);
    if (versions.isEmpty()) {
      return List.of();
    }
    write(JSON.createObjectNode().put("op", "delete").put("subject", subject));
    subjects.remove(subject);
    subjectLevels.remove(subject);
    return versions.stream().map(Version::version).toList();
  }

  synchronized CompatibilityLevel level(String subject) {
    return subject == null ? globalLevel : subjectLevels.getOrDefault(subject, globalLevel);
  }

  synchronized void setLevel(String subject, CompatibilityLevel level) {
    ObjectNode entry = JSON.createObjectNode().put("op", "config").put("level", level.name());
    if (subject != null) {
      entry.put("subject", subject);
    }
    write(entry);
    if (subject == null) {
      globalLevel = level;
    } else {
      subjectLevels.put(subject, level);
    }
  }

  synchronized boolean hasOwnLevel(String subject) {
    return subjectLevels.containsKey(subject);
  }

  @Override
  public synchronized void close() {
    if (journal != null) {
      try {
        journal.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close schema registry journal", e);
      }
    }
  }
}
