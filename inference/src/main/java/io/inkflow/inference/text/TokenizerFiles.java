package io.inkflow.inference.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.inference.pack.PackException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Reading a tokenizer folder's files: strict UTF-8 and JSON, every failure a {@link PackException} naming the file. */
final class TokenizerFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenizerFiles() {}

  static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(readText(file));
    } catch (JsonProcessingException e) {
      throw new PackException(file + ": expected JSON, found malformed content: " + e.getOriginalMessage(), e);
    }
  }

  static String readText(Path file) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(file)))
          .toString();
    } catch (CharacterCodingException e) {
      throw new PackException(file + ": expected UTF-8 text, found bytes that are not UTF-8", e);
    } catch (IOException e) {
      throw new PackException(file + ": expected a readable file, found " + e, e);
    }
  }

  /** A JSON node's kind for messages: {@code nothing}, {@code object}, {@code array}, … */
  static String nodeType(JsonNode node) {
    return node.isMissingNode() ? "nothing" : node.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  /** Text cut to 80 characters for messages. */
  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
