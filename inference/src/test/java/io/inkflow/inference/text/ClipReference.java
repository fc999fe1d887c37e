package io.inkflow.inference.text;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * OpenAI's CLIP reference ({@code testdata/reference/clip} of the repository: the BPE merges file and the golden
 * cases), and Hugging Face tokenizer folders built from it the way CLIPTokenizer lays them out. A missing reference
 * fails the test rather than skipping it.
 */
final class ClipReference {
  private ClipReference() {}

  static final ObjectMapper JSON = new ObjectMapper();
  /** 49152 - 256 - 2: the merges CLIP uses, after the file's header line. */
  static final int MERGES = 48_894;

  /** {@code testdata/reference/clip} of the repository root (the module runs its tests one level below it). */
  static Path dir() {
    String configured = System.getProperty("inkflow.clip.reference");
    Path dir = configured != null ? Path.of(configured) : Path.of("..", "testdata", "reference", "clip");
    dir = dir.toAbsolutePath().normalize();
    assertThat(dir.resolve("bpe_simple_vocab_16e6.txt.gz"))
        .as("the CLIP reference (testdata/reference/clip of the repository, or -Dinkflow.clip.reference)")
        .isRegularFile();
    return dir;
  }

  static JsonNode cases() {
    try {
      return JSON.readTree(dir().resolve("tokenizer-cases.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The merge lines CLIP uses: lines 1..48894 of OpenAI's file. */
  static List<String> mergeLines() {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(dir().resolve("bpe_simple_vocab_16e6.txt.gz")))) {
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      return List.of(lines).subList(1, MERGES + 1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** CLIP's vocabulary in id order: byte characters in bytes_to_unicode's order, the same with {@code </w>}, merges, specials. */
  static List<String> vocabulary(List<String> merges) {
    List<Integer> order = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      if ((b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
        order.add(b);
      }
    }
    for (int b = 0; b < 256; b++) {
      if (!order.contains(b)) {
        order.add(b);
      }
    }
    String[] chars = ClipTokenizer.byteCharacters();
    List<String> vocab = new ArrayList<>();
    for (int b : order) {
      vocab.add(chars[b]);
    }
    for (int b : order) {
      vocab.add(chars[b] + "</w>");
    }
    for (String m : merges) {
      vocab.add(m.replace(" ", ""));
    }
    vocab.add("<|startoftext|>");
    vocab.add("<|endoftext|>");
    return vocab;
  }

  /**
   * A slow-tokenizer folder: vocab.json, merges.txt (with its {@code #version} header), tokenizer_config.json and
   * special_tokens_map.json naming {@code padToken}.
   */
  static Path writeHfFolder(Path dir, String padToken) {
    try {
      Files.createDirectories(dir);
      List<String> merges = mergeLines();
      ObjectNode vocab = JSON.createObjectNode();
      List<String> tokens = vocabulary(merges);
      for (int id = 0; id < tokens.size(); id++) {
        vocab.put(tokens.get(id), id);
      }
      Files.writeString(dir.resolve("vocab.json"), JSON.writeValueAsString(vocab));
      Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n");
      writeConfigs(dir, padToken);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void writeConfigs(Path dir, String padToken) throws IOException {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put("add_prefix_space", false);
    config.put("bos_token", Map.of("__type", "AddedToken", "content", "<|startoftext|>", "lstrip", false,
        "normalized", true, "rstrip", false, "single_word", false));
    config.put("do_lower_case", true);
    config.put("eos_token", "<|endoftext|>");
    config.put("errors", "replace");
    config.put("model_max_length", 77);
    config.put("pad_token", padToken);
    config.put("tokenizer_class", "CLIPTokenizer");
    config.put("unk_token", "<|endoftext|>");
    Files.writeString(dir.resolve("tokenizer_config.json"), JSON.writeValueAsString(config));
    Map<String, Object> special = new LinkedHashMap<>();
    special.put("bos_token", Map.of("content", "<|startoftext|>", "lstrip", false, "normalized", true, "rstrip", false,
        "single_word", false));
    special.put("eos_token", Map.of("content", "<|endoftext|>", "lstrip", false, "normalized", true, "rstrip", false,
        "single_word", false));
    special.put("pad_token", padToken.equals("!") ? padToken : Map.of("content", padToken, "lstrip", false,
        "normalized", true, "rstrip", false, "single_word", false));
    special.put("unk_token", "<|endoftext|>");
    Files.writeString(dir.resolve("special_tokens_map.json"), JSON.writeValueAsString(special));
  }

  /**
   * A fast-tokenizer folder: only tokenizer.json (BPE model, {@code </w>} suffix, added tokens, padding and
   * truncation to 77), merges written as {@code "a b"} strings or as pairs.
   */
  static Path writeTokenizerJson(Path dir, String padToken, boolean pairMerges) {
    try {
      Files.createDirectories(dir);
      List<String> merges = mergeLines();
      List<String> tokens = vocabulary(merges);
      ObjectNode root = JSON.createObjectNode();
      root.put("version", "1.0");
      ObjectNode truncation = root.putObject("truncation");
      truncation.put("direction", "Right").put("max_length", 77).put("strategy", "LongestFirst").put("stride", 0);
      ObjectNode padding = root.putObject("padding");
      padding.putObject("strategy").put("Fixed", 77);
      padding.put("direction", "Right").put("pad_to_multiple_of", (String) null)
          .put("pad_id", tokens.indexOf(padToken)).put("pad_type_id", 0).put("pad_token", padToken);
      ArrayNode added = root.putArray("added_tokens");
      for (String special : List.of("<|startoftext|>", "<|endoftext|>")) {
        added.addObject().put("id", tokens.indexOf(special)).put("content", special).put("single_word", false)
            .put("lstrip", false).put("rstrip", false).put("normalized", true).put("special", true);
      }
      ObjectNode model = root.putObject("model");
      model.put("type", "BPE").putNull("dropout").put("unk_token", "<|endoftext|>")
          .put("continuing_subword_prefix", "").put("end_of_word_suffix", "</w>").put("fuse_unk", false);
      ObjectNode vocab = model.putObject("vocab");
      for (int id = 0; id < tokens.size(); id++) {
        vocab.put(tokens.get(id), id);
      }
      ArrayNode mergeNodes = model.putArray("merges");
      for (String m : merges) {
        if (pairMerges) {
          String[] parts = m.split(" ");
          mergeNodes.addArray().add(parts[0]).add(parts[1]);
        } else {
          mergeNodes.add(m);
        }
      }
      Files.writeString(dir.resolve("tokenizer.json"), JSON.writeValueAsString(root));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
