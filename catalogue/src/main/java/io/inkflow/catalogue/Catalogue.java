package io.inkflow.catalogue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.Language;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RewriteMode;
import io.inkflow.schemas.serde.AvroSerializer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A catalogue file (CSV with a header, or JSON Lines) read into prompt requests. Known columns fill
 * the request's fields; every other column becomes a tag. A malformed row is reported with its line
 * number and left out; a key seen twice is reported and its later rows left out. Nothing is dropped
 * silently.
 *
 * <p>Columns: {@code prompt} (required), the key column (default {@code sku}), {@code negative_prompt},
 * {@code render_text} ('|' separates several), {@code width}, {@code height}, {@code aspect},
 * {@code num_images}, {@code seed}, {@code steps}, {@code guidance}, {@code language} (zh|en|mixed),
 * {@code rewrite} (auto|off).
 */
public final class Catalogue {
  /** Checks that a request can be written as it is (no registry needed): the serializer the CLI sends with refuses the same. */
  private static final AvroSerializer<PromptRequest> WRITABLE = new AvroSerializer<>(PromptRequest.class);
  private static final Set<String> FIELDS = Set.of("prompt", "negative_prompt", "render_text", "width", "height", "aspect",
      "num_images", "seed", "steps", "guidance", "language", "rewrite");

  /** Codes of the problems a file can have, one per kind, so every reader of a report can act on them. */
  public static final class Codes {
    /** A CSV row with another number of columns than the header. */
    public static final String MALFORMED_ROW = "MALFORMED_ROW";
    /** A JSON Lines line that is not JSON, or not a JSON object. */
    public static final String NOT_JSON = "NOT_JSON";
    /** A row without a value in the key column. */
    public static final String MISSING_KEY = "MISSING_KEY";
    /** A key seen on an earlier line. */
    public static final String DUPLICATE_KEY = "DUPLICATE_KEY";
    /** A value that cannot fill its field (a number that is not one, an unknown language, an empty prompt). */
    public static final String INVALID_FIELD = "INVALID_FIELD";
    /** A request that cannot be written as it is (e.g. a lone UTF-16 surrogate). */
    public static final String NOT_WRITABLE = "NOT_WRITABLE";

    private Codes() {}
  }

  /** One problem with the file: where, which kind ({@link Codes}) and what. */
  public record Problem(long line, String code, String message) {
    @Override
    public String toString() {
      return "line " + line + ": " + code + ": " + message;
    }
  }

  /** One request and the line it was read from. */
  public record Entry(long line, PromptRequest request) {}

  /** The requests read, in file order, and the problems found. */
  public record Result(String batchId, List<Entry> entries, List<Problem> problems) {
    public List<PromptRequest> requests() {
      return entries.stream().map(Entry::request).toList();
    }
  }

  /** File formats. */
  public enum Format { CSV, JSONL }

  private Catalogue() {}

  public static Result read(Path file, Format format, String batchId, String keyColumn, Instant now) throws IOException {
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(in, format, batchId, keyColumn, now);
    }
  }

  public static Result read(Reader in, Format format, String batchId, String keyColumn, Instant now) throws IOException {
    List<Entry> entries = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    Map<String, Long> firstLine = new HashMap<>();
    for (Row row : format == Format.CSV ? csv(in, problems) : jsonl(in, problems)) {
      try {
        String key = row.values().get(keyColumn);
        if (key == null || key.isBlank()) {
          problems.add(new Problem(row.line(), Codes.MISSING_KEY, "no value in key column '" + keyColumn + "'; row skipped"));
          continue;
        }
        key = key.strip();
        Long seen = firstLine.putIfAbsent(key, row.line());
        if (seen != null) {
          problems.add(new Problem(row.line(), Codes.DUPLICATE_KEY, "duplicate key '" + key + "' (first on line " + seen + "); row skipped"));
          continue;
        }
        PromptRequest request = request(row.values(), batchId, RequestIds.of(batchId, key), key, keyColumn, now);
        WRITABLE.checkWritable(request);
        entries.add(new Entry(row.line(), request));
      } catch (SerializationException e) {
        problems.add(new Problem(row.line(), Codes.NOT_WRITABLE, e.getMessage() + "; row skipped"));
      } catch (IllegalArgumentException e) {
        problems.add(new Problem(row.line(), Codes.INVALID_FIELD, e.getMessage() + "; row skipped"));
      }
    }
    problems.sort(Comparator.comparingLong(Problem::line));
    return new Result(batchId, entries, problems);
  }

  /**
   * One stand-alone request (no batch) from a JSON object, read by the JSON Lines reader with the same
   * columns; {@code requestId} is the request's id. A problem is reported on line 1.
   */
  public static Result readRequest(Reader in, String requestId, Instant now) throws IOException {
    List<Entry> entries = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    List<Row> rows = jsonl(in, problems);
    if (rows.size() + problems.size() != 1) {
      throw new IOException("expected one JSON object, found " + (rows.size() + problems.size()) + " lines");
    }
    for (Row row : rows) {
      try {
        PromptRequest request = request(row.values(), null, requestId, null, null, now);
        WRITABLE.checkWritable(request);
        entries.add(new Entry(row.line(), request));
      } catch (SerializationException e) {
        problems.add(new Problem(row.line(), Codes.NOT_WRITABLE, e.getMessage()));
      } catch (IllegalArgumentException e) {
        problems.add(new Problem(row.line(), Codes.INVALID_FIELD, e.getMessage()));
      }
    }
    return new Result(null, entries, problems);
  }

  private record Row(long line, Map<String, String> values) {}

  private static List<Row> csv(Reader in, List<Problem> problems) throws IOException {
    CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
        .setIgnoreEmptyLines(true).setAllowMissingColumnNames(false).get();
    List<Row> rows = new ArrayList<>();
    try (CSVParser parser = CSVParser.parse(in, format)) {
      List<String> header = parser.getHeaderNames();
      if (!header.contains("prompt")) {
        throw new IOException("CSV header " + header + " has no 'prompt' column");
      }
      for (CSVRecord record : parser) {
        long line = parser.getCurrentLineNumber();
        if (!record.isConsistent()) {
          problems.add(new Problem(line, Codes.MALFORMED_ROW, "expected " + header.size() + " columns, found " + record.size() + "; row skipped"));
          continue;
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : header) {
          String v = record.get(name);
          if (v != null && !v.isEmpty()) {
            values.put(name, v);
          }
        }
        rows.add(new Row(line, values));
      }
    } catch (IllegalStateException | UncheckedIOException e) {
      throw new IOException("CSV is malformed: " + e.getMessage(), e);
    }
    return rows;
  }

  private static List<Row> jsonl(Reader in, List<Problem> problems) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Row> rows = new ArrayList<>();
    BufferedReader reader = in instanceof BufferedReader b ? b : new BufferedReader(in);
    String text;
    long line = 0;
    while ((text = reader.readLine()) != null) {
      line++;
      if (text.isBlank()) {
        continue;
      }
      try {
        JsonNode node = json.readTree(text);
        if (!node.isObject()) {
          problems.add(new Problem(line, Codes.NOT_JSON, "expected a JSON object, found " + node.getNodeType() + "; row skipped"));
          continue;
        }
        Map<String, String> values = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> {
          JsonNode v = e.getValue();
          if (v.isNull()) {
            return;
          }
          values.put(e.getKey(), v.isArray() ? String.join("|", textValues(v)) : v.asText());
        });
        rows.add(new Row(line, values));
      } catch (JsonProcessingException e) {
        problems.add(new Problem(line, Codes.NOT_JSON, "not JSON: " + e.getOriginalMessage() + "; row skipped"));
      }
    }
    return rows;
  }

  private static List<String> textValues(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }

  private static PromptRequest request(Map<String, String> v, String batchId, String requestId, String key, String keyColumn,
      Instant now) {
    String prompt = v.get("prompt");
    if (prompt == null || prompt.isBlank()) {
      throw new IllegalArgumentException("empty prompt");
    }
    PromptRequest.Builder b = PromptRequest.newBuilder()
        .setRequestId(requestId)
        .setBatchId(batchId)
        .setPrompt(prompt)
        .setNegativePrompt(v.get("negative_prompt"))
        .setWidth(integer(v, "width"))
        .setHeight(integer(v, "height"))
        .setAspect(v.get("aspect"))
        .setSeed(v.containsKey("seed") ? longValue(v, "seed") : null)
        .setSteps(integer(v, "steps"))
        .setGuidanceScale(v.containsKey("guidance") ? floatValue(v, "guidance") : null)
        .setNumImages(v.containsKey("num_images") ? integer(v, "num_images") : 1)
        .setSubmittedAt(now);
    if (v.containsKey("render_text")) {
      b.setRenderText(Arrays.stream(v.get("render_text").split("\\|")).map(String::strip).filter(s -> !s.isEmpty()).toList());
    }
    if (v.containsKey("language")) {
      b.setLanguage(switch (v.get("language").strip().toLowerCase(Locale.ROOT)) {
        case "zh", "chinese", "中文" -> Language.ZH;
        case "en", "english" -> Language.EN;
        case "mixed" -> Language.MIXED;
        default -> throw new IllegalArgumentException("language '" + v.get("language") + "': expected zh, en or mixed");
      });
    }
    if (v.containsKey("rewrite")) {
      b.setRewriteMode(switch (v.get("rewrite").strip().toLowerCase(Locale.ROOT)) {
        case "auto", "on", "true" -> RewriteMode.AUTO;
        case "off", "false", "none" -> RewriteMode.OFF;
        default -> throw new IllegalArgumentException("rewrite '" + v.get("rewrite") + "': expected auto or off");
      });
    }
    Map<String, String> tags = new LinkedHashMap<>();
    if (keyColumn != null) {
      tags.put(keyColumn, key);
    }
    v.forEach((k, value) -> {
      if (!FIELDS.contains(k) && !k.equals(keyColumn)) {
        tags.put(k, value);
      }
    });
    b.setTags(tags);
    return b.build();
  }

  private static Integer integer(Map<String, String> v, String column) {
    String s = v.get(column);
    if (s == null) {
      return null;
    }
    try {
      return Integer.parseInt(s.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(column + " '" + s + "': expected an integer");
    }
  }

  private static long longValue(Map<String, String> v, String column) {
    try {
      return Long.parseLong(v.get(column).strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(column + " '" + v.get(column) + "': expected an integer");
    }
  }

  private static float floatValue(Map<String, String> v, String column) {
    try {
      return Float.parseFloat(v.get(column).strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(column + " '" + v.get(column) + "': expected a number");
    }
  }
}
