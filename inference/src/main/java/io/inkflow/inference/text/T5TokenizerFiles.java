package io.inkflow.inference.text;

import static io.inkflow.inference.text.TokenizerFiles.abbreviate;
import static io.inkflow.inference.text.TokenizerFiles.nodeType;
import static io.inkflow.inference.text.TokenizerFiles.readJson;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.pack.PackException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a T5 tokenizer folder as Optimum and diffusers save it ({@code tokenizer_3/} of SD3, {@code tokenizer_2/} of
 * FLUX.1): the vocabulary of {@code tokenizer.json} (model {@code Unigram}) or of {@code spiece.model} (a SentencePiece
 * {@code ModelProto}), and the eos and pad tokens from {@code special_tokens_map.json} or
 * {@code tokenizer_config.json}.
 * Every failure is a {@link PackException} naming the file and saying what was expected and what was found.
 */
final class T5TokenizerFiles {
  private T5TokenizerFiles() {}

  static final String TOKENIZER_JSON = "tokenizer.json";
  static final String SPIECE = "spiece.model";
  static final String CONFIG = "tokenizer_config.json";
  static final String SPECIAL_TOKENS = "special_tokens_map.json";
  static final String DEFAULT_EOS = "</s>";
  static final String DEFAULT_PAD = "<pad>";


  /**
   * The ids a T5 tokenizer needs besides its model.
   *
   * @param file the vocabulary's file
   * @param vocab token to id: the model's pieces and, for tokenizer.json, its added tokens
   * @param vocabSize one more than the largest id
   * @param eosId id of the eos token
   * @param padId id of the pad token
   */
  record Vocabulary(Path file, Map<String, Integer> vocab, int vocabSize, int eosId, int padId) {}

  static Path requireFolder(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new PackException("T5 tokenizer: expected a folder holding " + TOKENIZER_JSON + " or " + SPIECE
          + ", found no folder at " + dir);
    }
    return dir;
  }

  /** The vocabulary of {@code tokenizer.json}: model.vocab ({@code [piece, score]} pairs, id = index), added_tokens. */
  static Vocabulary readTokenizerJson(Path dir) {
    Path file = dir.resolve(TOKENIZER_JSON);
    JsonNode root = readJson(file);
    JsonNode model = root.path("model");
    String type = model.path("type").asText("");
    if (!type.equals("Unigram")) {
      throw new PackException(file + ": expected model.type \"Unigram\" (a T5 SentencePiece tokenizer), found "
          + (type.isEmpty() ? "none" : "\"" + abbreviate(type) + "\""));
    }
    JsonNode pieces = model.path("vocab");
    if (!pieces.isArray() || pieces.isEmpty()) {
      throw new PackException(file + ": expected model.vocab to be a non-empty array of [piece, score], found "
          + nodeType(pieces));
    }
    Map<String, Integer> vocab = new HashMap<>(pieces.size() * 2);
    for (int i = 0; i < pieces.size(); i++) {
      JsonNode p = pieces.get(i);
      if (!p.isArray() || p.size() != 2 || !p.get(0).isTextual() || !p.get(1).isNumber()) {
        throw new PackException(file + " model.vocab[" + i + "]: expected [piece, score], found "
            + abbreviate(p.toString()));
      }
      vocab.putIfAbsent(p.get(0).asText(), i);
    }
    int maxId = pieces.size() - 1;
    for (JsonNode added : root.path("added_tokens")) {
      String content = added.path("content").asText(null);
      JsonNode id = added.path("id");
      if (content == null || !id.canConvertToInt() || id.asInt() < 0) {
        throw new PackException(file + ": expected added_tokens entries with a content and an id, found "
            + abbreviate(added.toString()));
      }
      vocab.put(content, id.asInt());
      maxId = Math.max(maxId, id.asInt());
    }
    return withSpecialIds(dir, file, vocab, maxId + 1);
  }

  /** The bytes of {@code spiece.model}. */
  static byte[] readSentencePieceBytes(Path dir) {
    Path file = dir.resolve(SPIECE);
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new PackException(file + ": expected a readable SentencePiece model, found " + e, e);
    }
  }

  /** The vocabulary of {@code spiece.model}: its pieces in id order (ModelProto field 1, each piece's field 1). */
  static Vocabulary readSentencePiece(Path dir, byte[] model) {
    Path file = dir.resolve(SPIECE);
    List<String> pieces = sentencePieces(file, model);
    Map<String, Integer> vocab = new HashMap<>(pieces.size() * 2);
    for (int i = 0; i < pieces.size(); i++) {
      vocab.putIfAbsent(pieces.get(i), i);
    }
    return withSpecialIds(dir, file, vocab, pieces.size());
  }

  private static Vocabulary withSpecialIds(Path dir, Path file, Map<String, Integer> vocab, int vocabSize) {
    Special eos = special(dir, "eos_token", DEFAULT_EOS);
    Special pad = special(dir, "pad_token", DEFAULT_PAD);
    return new Vocabulary(file, Map.copyOf(vocab), vocabSize, id(vocab, file, eos), id(vocab, file, pad));
  }

  private static int id(Map<String, Integer> vocab, Path file, Special token) {
    Integer id = vocab.get(token.token);
    if (id == null) {
      throw new PackException((token.file != null ? token.file : file) + ": expected " + token.key + " \""
          + abbreviate(token.token) + "\" to be a token of " + file.getFileName()
          + ", found no such token");
    }
    return id;
  }

  private record Special(String key, String token, Path file) {}

  /** A special token: special_tokens_map.json over tokenizer_config.json, as Hugging Face loads them; else T5's. */
  private static Special special(Path dir, String key, String defaultToken) {
    for (String name : new String[] {SPECIAL_TOKENS, CONFIG}) {
      Path file = dir.resolve(name);
      if (!Files.exists(file)) {
        continue;
      }
      JsonNode value = readJson(file).path(key);
      if (value.isMissingNode() || value.isNull()) {
        continue;
      }
      if (value.isTextual()) {
        return new Special(key, value.asText(), file);
      }
      if (value.isObject() && value.path("content").isTextual()) {
        return new Special(key, value.path("content").asText(), file);
      }
      throw new PackException(file + ": expected " + key + " to be a string or an object with a \"content\" string,"
          + " found " + abbreviate(value.toString()));
    }
    return new Special(key, defaultToken, null);
  }

  /**
   * The piece strings of a serialized SentencePiece {@code ModelProto}: {@code repeated SentencePiece pieces = 1}, each
   * with {@code string piece = 1}. Other fields are skipped by wire type.
   */
  static List<String> sentencePieces(Path file, byte[] bytes) {
    List<String> pieces = new ArrayList<>();
    ProtoReader top = new ProtoReader(file, bytes, 0, bytes.length);
    while (top.more()) {
      long key = top.varint();
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 1 && wire == 2) {
        int len = top.length();
        pieces.add(piece(file, bytes, top.pos, top.pos + len, pieces.size()));
        top.pos += len;
      } else {
        top.skip(wire);
      }
    }
    if (pieces.isEmpty()) {
      throw new PackException(file + ": expected a SentencePiece model (a ModelProto with pieces), found "
          + bytes.length + " bytes without pieces");
    }
    return pieces;
  }

  private static String piece(Path file, byte[] bytes, int from, int to, int index) {
    ProtoReader r = new ProtoReader(file, bytes, from, to);
    String piece = null;
    while (r.more()) {
      long key = r.varint();
      if ((key >>> 3) == 1 && (key & 7) == 2) {
        int len = r.length();
        try {
          piece = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, r.pos, len)).toString();
        } catch (CharacterCodingException e) {
          throw new PackException(file + ": expected piece " + index + " to be UTF-8, found bytes that are not", e);
        }
        r.pos += len;
      } else {
        r.skip((int) (key & 7));
      }
    }
    if (piece == null) {
      throw new PackException(file + ": expected piece " + index + " to have a piece string, found none");
    }
    return piece;
  }

  /** Just enough of the protobuf wire format to walk a message. */
  private static final class ProtoReader {
    private final Path file;
    private final byte[] bytes;
    private final int end;
    int pos;

    ProtoReader(Path file, byte[] bytes, int from, int to) {
      this.file = file;
      this.bytes = bytes;
      this.pos = from;
      this.end = to;
    }

    boolean more() {
      return pos < end;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw malformed("a varint", "the end of the data");
        }
        byte b = bytes[pos++];
        value |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return value;
        }
      }
      throw malformed("a varint of at most 10 bytes", "a longer one");
    }

    int length() {
      long len = varint();
      if (len < 0 || len > end - pos) {
        throw malformed("a length of at most " + (end - pos) + " bytes", String.valueOf(len));
      }
      return (int) len;
    }

    void skip(int wire) {
      switch (wire) {
        case 0 -> varint();
        case 1 -> advance(8);
        case 2 -> {
          int len = length();
          pos += len;
        }
        case 5 -> advance(4);
        default -> throw malformed("a protobuf wire type 0, 1, 2 or 5", "wire type " + wire);
      }
    }

    private void advance(int n) {
      if (end - pos < n) {
        throw malformed(n + " more bytes", (end - pos) + "");
      }
      pos += n;
    }

    private PackException malformed(String expected, String found) {
      return new PackException(file + ": expected a SentencePiece model (protobuf), found malformed data at byte "
          + pos + " (expected " + expected + ", found " + found + ")");
    }
  }
}
