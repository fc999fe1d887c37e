package io.inkflow.bench.ocr;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.inference.image.PngEncoder;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files the OCR evaluation shares with other readers (the JavaScript cross-check), one JSON object per line:
 * <ul>
 *   <li>{@code cases.jsonl}, beside the images: {@code file} (relative to the folder), {@code id}, {@code truth},
 *       {@code mix}, {@code font}, {@code sizePx}, {@code sizeBand}, {@code angleDegrees}, {@code foreground},
 *       {@code background} ({@code #rrggbb}), {@code contrast}, {@code marginPx}, {@code width}, {@code height},
 *       {@code seed};</li>
 *   <li>lines files, one per reader: {@code file} and {@code lines}, the texts in the reader's order.</li>
 * </ul>
 */
public final class OcrFiles {
  /** The name of the case list in an image folder. */
  public static final String CASES = "cases.jsonl";

  static final ObjectMapper JSON = new ObjectMapper();

  private OcrFiles() {}

  /** A case as {@code cases.jsonl} holds it: where its image is and what it shows. */
  public record CaseEntry(String file, String truth) {}

  /** The texts one reader read from one image, in the reader's order. */
  public record LinesEntry(String file, List<String> lines) {}

  /** The file name a case's image is written under. */
  public static String imageFile(TextSpec spec) {
    return spec.id() + ".png";
  }

  /** Writes a case's image into {@code dir} and returns its {@code cases.jsonl} line. */
  public static String writeImage(Path dir, TextCase textCase, long seed) {
    String file = imageFile(textCase.spec());
    try {
      Files.write(dir.resolve(file), PngEncoder.standard().encode(textCase.image(), Map.of()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve(file), e);
    }
    return caseLine(file, textCase, seed);
  }

  static String caseLine(String file, TextCase textCase, long seed) {
    TextSpec spec = textCase.spec();
    ObjectNode node = JSON.createObjectNode();
    node.put("file", file);
    node.put("id", spec.id());
    node.put("truth", spec.truth());
    node.put("mix", spec.mix().label());
    node.put("font", spec.font().label());
    node.put("sizePx", spec.sizePx());
    node.put("sizeBand", spec.band().label());
    node.put("angleDegrees", spec.angleDegrees());
    node.put("foreground", hex(spec.foreground()));
    node.put("background", hex(spec.background()));
    node.put("contrast", Math.round(spec.contrast() * 100) / 100.0);
    node.put("marginPx", spec.marginPx());
    node.put("width", textCase.image().width());
    node.put("height", textCase.image().height());
    node.put("seed", seed);
    return node.toString();
  }

  /** One line of a lines file. */
  public static String linesLine(String file, List<String> lines) {
    ObjectNode node = JSON.createObjectNode();
    node.put("file", file);
    ArrayNode array = node.putArray("lines");
    lines.forEach(array::add);
    return node.toString();
  }

  /** Reads {@code cases.jsonl}, keyed by file name in file order. */
  public static Map<String, CaseEntry> readCases(Path jsonl) {
    Map<String, CaseEntry> cases = new LinkedHashMap<>();
    for (JsonNode node : readJsonl(jsonl)) {
      String file = required(node, "file", jsonl).asText();
      cases.put(file, new CaseEntry(file, required(node, "truth", jsonl).asText()));
    }
    return cases;
  }

  /** Reads a lines file, keyed by file name in file order. */
  public static Map<String, LinesEntry> readLines(Path jsonl) {
    Map<String, LinesEntry> entries = new LinkedHashMap<>();
    for (JsonNode node : readJsonl(jsonl)) {
      String file = required(node, "file", jsonl).asText();
      JsonNode array = required(node, "lines", jsonl);
      if (!array.isArray()) {
        throw new IllegalArgumentException("expected \"lines\" to be an array in " + jsonl + ", found " + array);
      }
      List<String> lines = new ArrayList<>();
      array.forEach(line -> lines.add(line.asText()));
      if (entries.put(file, new LinesEntry(file, List.copyOf(lines))) != null) {
        throw new IllegalArgumentException("expected one line per file in " + jsonl + ", found " + file + " twice");
      }
    }
    return entries;
  }

  /** A writer for a JSON-lines file, UTF-8. */
  public static BufferedWriter newJsonlWriter(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + file, e);
    }
  }

  static String hex(int rgb) {
    return String.format("#%06x", rgb & 0xFFFFFF);
  }

  private static List<JsonNode> readJsonl(Path jsonl) {
    List<JsonNode> nodes = new ArrayList<>();
    List<String> lines;
    try {
      lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + jsonl, e);
    }
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      try {
        nodes.add(JSON.readTree(lines.get(i)));
      } catch (IOException e) {
        throw new IllegalArgumentException("expected a JSON object on line " + (i + 1) + " of " + jsonl + ": "
            + e.getMessage(), e);
      }
    }
    return nodes;
  }

  private static JsonNode required(JsonNode node, String field, Path jsonl) {
    JsonNode value = node.get(field);
    if (value == null || value.isNull()) {
      throw new IllegalArgumentException("expected \"" + field + "\" in every line of " + jsonl + ", found " + node);
    }
    return value;
  }
}
