package io.inkflow.inference.text;

import static io.inkflow.inference.text.TokenizerFiles.abbreviate;
import static io.inkflow.inference.text.TokenizerFiles.nodeType;
import static io.inkflow.inference.text.TokenizerFiles.readJson;
import static io.inkflow.inference.text.TokenizerFiles.readText;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.pack.PackException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face CLIPTokenizer folder: {@code vocab.json} and {@code merges.txt} (the slow tokenizer's files,
 * preferred when present) or {@code tokenizer.json}, plus {@code special_tokens_map.json} and
 * {@code tokenizer_config.json} for the pad token and the length. Every failure is a {@link PackException} naming the
 * file and saying what was expected and what was found.
 */
final class ClipTokenizerFiles {
  private ClipTokenizerFiles() {}

  static final String VOCAB = "vocab.json";
  static final String MERGES = "merges.txt";
  static final String TOKENIZER_JSON = "tokenizer.json";
  static final String CONFIG = "tokenizer_config.json";
  static final String SPECIAL_TOKENS = "special_tokens_map.json";
  static final String END_OF_WORD = "</w>";
  /** CLIPTokenizer's default pad token, used when no file names one. */
  static final String DEFAULT_PAD = "<|endoftext|>";
  /** CLIP's context length, used when no file gives one. */
  static final int DEFAULT_MAX_LENGTH = 77;
  /** Hugging Face writes 1e30 for "no limit"; anything this large means the file does not say. */
  private static final long UNSET_MAX_LENGTH = 1_000_000L;


  /**
   * What the folder holds.
   *
   * @param vocab token to id
   * @param vocabFile the file the vocabulary came from
   * @param merges merge pairs by rank
   * @param mergeSources where each merge came from, for messages ("merges.txt line 12")
   * @param padToken pad token, or null when {@code padId} is given instead
   * @param padId pad id, or -1 when {@code padToken} is given instead
   * @param padFile the file that named the pad token (null for the default)
   * @param maxLength ids per padded sequence
   */
  record Contents(Map<String, Integer> vocab, Path vocabFile, List<String[]> merges, List<String> mergeSources,
      String padToken, int padId, Path padFile, int maxLength) {}

  static Contents read(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new PackException("CLIP tokenizer: expected a folder holding " + VOCAB + " and " + MERGES + " or "
          + TOKENIZER_JSON + ", found no folder at " + dir);
    }
    Path vocabFile = dir.resolve(VOCAB);
    Path mergesFile = dir.resolve(MERGES);
    Path tokenizerJson = dir.resolve(TOKENIZER_JSON);
    boolean slow = Files.exists(vocabFile) || Files.exists(mergesFile);
    if (!slow && Files.exists(tokenizerJson)) {
      return readTokenizerJson(dir, tokenizerJson);
    }
    if (!Files.exists(vocabFile) || !Files.exists(mergesFile)) {
      Path missing = Files.exists(vocabFile) ? mergesFile : vocabFile;
      throw new PackException(missing + ": expected the CLIP tokenizer's " + missing.getFileName() + " (or a "
          + TOKENIZER_JSON + "), found no such file");
    }
    Map<String, Integer> vocab = readVocab(vocabFile, readJson(vocabFile), "the top level");
    List<String[]> merges = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    String text = readText(mergesFile);
    // As CLIPTokenizer: strip the file, split on \n, skip the first line (the "#version" header).
    String[] lines = text.strip().split("\n", -1);
    if (lines.length == 0 || !lines[0].startsWith("#version")) {
      throw new PackException(mergesFile + ": expected a first line \"#version: 0.2\", found \""
          + abbreviate(lines.length == 0 ? "" : lines[0]) + "\"");
    }
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
      String[] parts = line.trim().split("\\s+");
      if (parts.length != 2 || parts[0].isEmpty()) {
        throw new PackException(mergesFile + " line " + (i + 1) + ": expected two symbols separated by a space, found \""
            + abbreviate(line) + "\"");
      }
      merges.add(parts);
      sources.add(mergesFile + " line " + (i + 1));
    }
    Pad pad = padFromConfigs(dir);
    return new Contents(vocab, vocabFile, merges, sources, pad.token, -1, pad.file, maxLengthFromConfig(dir));
  }

  private static Contents readTokenizerJson(Path dir, Path file) {
    JsonNode root = readJson(file);
    JsonNode model = root.path("model");
    String type = model.path("type").asText("");
    // Files written by older tokenizers versions omit model.type; a BPE model is recognised by its merges.
    if (!type.equals("BPE") && !(type.isEmpty() && model.has("merges"))) {
      throw new PackException(file + ": expected model.type \"BPE\" (a CLIP BPE tokenizer), found "
          + (type.isEmpty() ? "none" : "\"" + type + "\""));
    }
    String suffix = model.path("end_of_word_suffix").asText("");
    if (!suffix.equals(END_OF_WORD)) {
      throw new PackException(file + ": expected model.end_of_word_suffix \"" + END_OF_WORD + "\", found \"" + suffix
          + "\"");
    }
    String prefix = model.path("continuing_subword_prefix").asText("");
    if (!prefix.isEmpty()) {
      throw new PackException(file + ": expected no model.continuing_subword_prefix, found \"" + prefix + "\"");
    }
    Map<String, Integer> vocab = readVocab(file, model.path("vocab"), "model.vocab");
    for (JsonNode added : root.path("added_tokens")) {
      String content = added.path("content").asText(null);
      JsonNode id = added.path("id");
      if (content == null || !id.canConvertToInt() || id.asInt() < 0) {
        throw new PackException(file + ": expected added_tokens entries with a content and an id, found "
            + abbreviate(added.toString()));
      }
      vocab.putIfAbsent(content, id.asInt());
    }
    JsonNode mergeNodes = model.path("merges");
    if (!mergeNodes.isArray()) {
      throw new PackException(file + ": expected model.merges to be an array, found " + nodeType(mergeNodes));
    }
    List<String[]> merges = new ArrayList<>();
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < mergeNodes.size(); i++) {
      JsonNode m = mergeNodes.get(i);
      String[] parts;
      if (m.isTextual()) {
        parts = m.asText().split(" ", -1);
      } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
        parts = new String[] {m.get(0).asText(), m.get(1).asText()};
      } else {
        parts = new String[0];
      }
      if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
        throw new PackException(file + " model.merges[" + i + "]: expected \"a b\" or [\"a\", \"b\"], found "
            + abbreviate(m.toString()));
      }
      merges.add(parts);
      sources.add(file + " model.merges[" + i + "]");
    }
    JsonNode padding = root.path("padding");
    String padToken;
    int padId = -1;
    Path padFile;
    if (padding.isObject() && padding.has("pad_token")) {
      padToken = padding.path("pad_token").asText();
      padFile = file;
      if (padding.path("pad_id").canConvertToInt()) {
        padId = padding.path("pad_id").asInt();
        Integer known = vocab.get(padToken);
        if (known == null || known != padId) {
          throw new PackException(file + ": expected padding.pad_id to be the id of padding.pad_token \"" + padToken
              + "\" (" + known + "), found " + padId);
        }
      }
    } else {
      Pad pad = padFromConfigs(dir);
      padToken = pad.token;
      padFile = pad.file;
    }
    int maxLength;
    JsonNode truncation = root.path("truncation");
    JsonNode fixed = padding.path("strategy").path("Fixed");
    if (truncation.isObject() && truncation.path("max_length").canConvertToInt()) {
      maxLength = checkMaxLength(file, "truncation.max_length", truncation.path("max_length").asLong());
    } else if (fixed.canConvertToInt()) {
      maxLength = checkMaxLength(file, "padding.strategy.Fixed", fixed.asLong());
    } else {
      maxLength = maxLengthFromConfig(dir);
    }
    return new Contents(vocab, file, merges, sources, padToken, -1, padFile, maxLength);
  }

  private record Pad(String token, Path file) {}

  /** The pad token: special_tokens_map.json over tokenizer_config.json, as Hugging Face loads them; else the default. */
  private static Pad padFromConfigs(Path dir) {
    for (String name : new String[] {SPECIAL_TOKENS, CONFIG}) {
      Path file = dir.resolve(name);
      if (!Files.exists(file)) {
        continue;
      }
      JsonNode pad = readJson(file).path("pad_token");
      if (pad.isMissingNode() || pad.isNull()) {
        continue;
      }
      if (pad.isTextual()) {
        return new Pad(pad.asText(), file);
      }
      if (pad.isObject() && pad.path("content").isTextual()) {
        return new Pad(pad.path("content").asText(), file);
      }
      throw new PackException(file + ": expected pad_token to be a string or an object with a \"content\" string, found "
          + abbreviate(pad.toString()));
    }
    return new Pad(DEFAULT_PAD, null);
  }

  private static int maxLengthFromConfig(Path dir) {
    Path file = dir.resolve(CONFIG);
    if (!Files.exists(file)) {
      return DEFAULT_MAX_LENGTH;
    }
    JsonNode value = readJson(file).path("model_max_length");
    if (value.isMissingNode() || value.isNull()) {
      return DEFAULT_MAX_LENGTH;
    }
    if (!value.isNumber()) {
      throw new PackException(file + ": expected model_max_length to be a number, found " + abbreviate(value.toString()));
    }
    if (value.asDouble() >= UNSET_MAX_LENGTH) {
      return DEFAULT_MAX_LENGTH;
    }
    return checkMaxLength(file, "model_max_length", value.asLong());
  }

  private static int checkMaxLength(Path file, String field, long value) {
    // SOT and EOT need two places; beyond this a CLIP text encoder's position table is long gone.
    if (value < 2 || value > 65_536) {
      throw new PackException(file + ": expected " + field + " between 2 and 65536, found " + value);
    }
    return (int) value;
  }

  private static Map<String, Integer> readVocab(Path file, JsonNode node, String where) {
    if (!node.isObject()) {
      throw new PackException(file + ": expected " + where + " to be an object of token to id, found " + nodeType(node));
    }
    Map<String, Integer> vocab = new HashMap<>(node.size() * 2);
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      JsonNode id = e.getValue();
      if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0) {
        throw new PackException(file + ": expected a non-negative integer id for token \"" + abbreviate(e.getKey())
            + "\" in " + where + ", found " + abbreviate(id.toString()));
      }
      vocab.put(e.getKey(), id.asInt());
    }
    return vocab;
  }
}
