package io.inkflow.inference.pack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Typed, path-aware reads of a manifest's JSON: every failure names the file and the field, and
 * says what was expected and what was found. Shared by the pack families' manifests.
 */
public final class ManifestJson {
  /** The manifest file name inside a pack folder. */
  public static final String FILE_NAME = "pack.json";
  /** The manifest format version this code reads. */
  public static final int FORMAT = 1;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String label;
  private final Path file;
  private final JsonNode node;
  private final String path;

  private ManifestJson(String label, Path file, JsonNode node, String path) {
    this.label = label;
    this.file = file;
    this.node = node;
    this.path = path;
  }

  private ManifestJson(Path file, JsonNode node, String path) {
    this("pack manifest " + file, file, node, path);
  }

  private ManifestJson child(JsonNode value, String childPath) {
    return new ManifestJson(label, file, value, childPath);
  }

  /**
   * Reads any JSON object file of a pack (a diffusers {@code model_index.json} or {@code config.json},
   * an {@code inkflow.json}) with the same typed reads; errors name the file.
   */
  public static ManifestJson readFile(Path file) {
    JsonNode root;
    try {
      root = MAPPER.readTree(file.toFile());
    } catch (NoSuchFileException | FileNotFoundException e) {
      throw new PackException(file + ": expected the file, found none");
    } catch (IOException e) {
      throw new PackException(file + ": expected valid JSON, found: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new PackException(file + ": expected a JSON object, found " + (root == null ? "nothing" : root.getNodeType()));
    }
    return new ManifestJson(file.toString(), file, root, "");
  }

  /** The raw JSON node (for readers that map it themselves). */
  public JsonNode node() {
    return node;
  }

  /** Whether the field holds a JSON object. */
  public boolean isObject(String field) {
    JsonNode value = node.get(field);
    return value != null && value.isObject();
  }

  /** The field's value as a boolean; {@code fallback} when absent or null. */
  public boolean bool(String field, boolean fallback) {
    if (!has(field)) {
      return fallback;
    }
    JsonNode value = node.get(field);
    if (!value.isBoolean()) {
      throw error(field, "expected true or false, found " + value);
    }
    return value.asBoolean();
  }

  /** The field's value as a number; {@code fallback} when absent or null. */
  public double number(String field, double fallback) {
    return has(field) ? number(field) : fallback;
  }

  /** The field's value as an integer; {@code fallback} when absent or null. */
  public int integer(String field, int fallback) {
    return has(field) ? integer(field) : fallback;
  }

  /** Field names in file order. */
  public List<String> fieldNames() {
    List<String> out = new ArrayList<>();
    node.fieldNames().forEachRemaining(out::add);
    return out;
  }

  /**
   * Reads {@code pack.json} from a pack folder (or the manifest file itself) and checks its
   * {@code format} and {@code family}.
   */
  public static ManifestJson read(Path packDirOrManifest, String expectedFamily) {
    Path file = Files.isDirectory(packDirOrManifest)
        ? packDirOrManifest.resolve(FILE_NAME) : packDirOrManifest;
    JsonNode root;
    try {
      root = MAPPER.readTree(file.toFile());
    } catch (NoSuchFileException | FileNotFoundException e) {
      throw new PackException("pack manifest not found: " + file);
    } catch (IOException e) {
      throw new PackException("pack manifest " + file + " is not valid JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new PackException("pack manifest " + file + ": expected a JSON object");
    }
    ManifestJson json = new ManifestJson(file, root, "");
    int format = json.integer("format");
    if (format != FORMAT) {
      throw json.error("format", "expected " + FORMAT + ", found " + format);
    }
    String family = json.text("family");
    if (!family.equals(expectedFamily)) {
      throw json.error("family", "expected '" + expectedFamily + "', found '" + family + "'");
    }
    return json;
  }

  /** The manifest file. */
  public Path file() {
    return file;
  }

  /** The folder holding the manifest. */
  public Path dir() {
    return file.toAbsolutePath().getParent();
  }

  public PackException error(String field, String message) {
    return new PackException(label + ": " + qualified(field) + ": " + message);
  }

  private String qualified(String field) {
    return path.isEmpty() ? field : path + "." + field;
  }

  private JsonNode required(String field) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new PackException(label + ": missing field '" + qualified(field) + "'");
    }
    return value;
  }

  public boolean has(String field) {
    JsonNode value = node.get(field);
    return value != null && !value.isNull();
  }

  public ManifestJson object(String field) {
    JsonNode value = required(field);
    if (!value.isObject()) {
      throw error(field, "expected an object, found " + value.getNodeType());
    }
    return child(value, qualified(field));
  }

  public String text(String field) {
    JsonNode value = required(field);
    if (!value.isTextual()) {
      throw error(field, "expected a string, found " + value);
    }
    return value.asText();
  }

  public String text(String field, String fallback) {
    return has(field) ? text(field) : fallback;
  }

  public int integer(String field) {
    JsonNode value = required(field);
    if (!value.canConvertToInt() || !value.isIntegralNumber()) {
      throw error(field, "expected an integer, found " + value);
    }
    return value.asInt();
  }

  public int positiveInt(String field) {
    int value = integer(field);
    if (value <= 0) {
      throw error(field, "expected a positive integer, found " + value);
    }
    return value;
  }

  public double number(String field) {
    JsonNode value = required(field);
    if (!value.isNumber()) {
      throw error(field, "expected a number, found " + value);
    }
    return value.asDouble();
  }

  public List<ManifestJson> objects(String field) {
    JsonNode value = required(field);
    if (!value.isArray()) {
      throw error(field, "expected an array, found " + value.getNodeType());
    }
    List<ManifestJson> out = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isObject()) {
        throw error(field + "[" + i + "]", "expected an object, found " + item);
      }
      out.add(child(item, qualified(field) + "[" + i + "]"));
    }
    return out;
  }

  public List<String> texts(String field) {
    if (!has(field)) {
      return List.of();
    }
    JsonNode value = required(field);
    if (!value.isArray()) {
      throw error(field, "expected an array of strings, found " + value.getNodeType());
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : value) {
      if (!item.isTextual()) {
        throw error(field, "expected strings, found " + item);
      }
      out.add(item.asText());
    }
    return out;
  }

  public double[] numbers(String field, int expectedLength) {
    JsonNode value = required(field);
    if (!value.isArray() || value.size() != expectedLength) {
      throw error(field, "expected an array of " + expectedLength + " numbers, found " + value);
    }
    double[] out = new double[expectedLength];
    for (int i = 0; i < expectedLength; i++) {
      if (!value.get(i).isNumber()) {
        throw error(field, "expected numbers, found " + value.get(i));
      }
      out[i] = value.get(i).asDouble();
    }
    return out;
  }

  /** The fields of an object, in manifest order. */
  public Map<String, ManifestJson> fields(String field) {
    ManifestJson object = object(field);
    Map<String, ManifestJson> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = object.node.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (!entry.getValue().isObject()) {
        throw object.error(entry.getKey(), "expected an object, found " + entry.getValue());
      }
      out.put(entry.getKey(), child(entry.getValue(), object.qualified(entry.getKey())));
    }
    return out;
  }

  /** Reads the {@code graphs} object: each graph's file, optional sha256, inputs and outputs. */
  public Map<String, GraphSpec> graphs() {
    Map<String, GraphSpec> out = new LinkedHashMap<>();
    for (Map.Entry<String, ManifestJson> entry : fields("graphs").entrySet()) {
      ManifestJson g = entry.getValue();
      String fileName = g.text("file");
      Path resolved = dir().resolve(fileName).normalize();
      if (!resolved.startsWith(dir().normalize())) {
        throw g.error("file", "expected a file inside the pack folder, found '" + fileName + "'");
      }
      String sha = g.has("sha256") ? g.text("sha256").toLowerCase(Locale.ROOT) : null;
      out.put(entry.getKey(), new GraphSpec(entry.getKey(), fileName, sha,
          g.tensors("inputs"), g.tensors("outputs")));
    }
    return out;
  }

  private List<TensorSpec> tensors(String field) {
    List<TensorSpec> out = new ArrayList<>();
    for (ManifestJson t : objects(field)) {
      TensorType type;
      try {
        type = TensorType.parse(t.text("dtype"));
      } catch (IllegalArgumentException e) {
        throw t.error("dtype", e.getMessage());
      }
      JsonNode shape = t.required("shape");
      if (!shape.isArray()) {
        throw t.error("shape", "expected an array, found " + shape);
      }
      List<Dimension> dims = new ArrayList<>();
      for (JsonNode d : shape) {
        if (d.isTextual()) {
          dims.add(Dimension.symbolic(d.asText()));
        } else if (d.isIntegralNumber() && d.asLong() >= 0) {
          dims.add(Dimension.fixed(d.asLong()));
        } else {
          throw t.error("shape", "expected symbols or non-negative sizes, found " + d);
        }
      }
      out.add(new TensorSpec(t.text("name"), type, dims));
    }
    return out;
  }
}
