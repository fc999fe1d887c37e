package io.inkflow.inference.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The committed T5 tokenizer folders of the tiny SD3 and FLUX.1 exports and the cases SentencePiece computed for them
 * ({@code golden/t5-cases.json} of each: the text, {@code EncodeAsIds} + eos 1).
 */
final class T5Fixtures {
  private T5Fixtures() {}

  record Case(String text, int[] ids) {}

  static Path sd3() {
    return TestPacks.models().resolve("tiny-sd3").resolve("tokenizer_3");
  }

  static Path flux() {
    return TestPacks.models().resolve("tiny-flux").resolve("tokenizer_2");
  }

  /** The SD3 export's cases. */
  static List<Case> cases() {
    return cases(sd3());
  }

  /** The cases of the export that holds {@code tokenizerDir}. */
  static List<Case> cases(Path tokenizerDir) {
    Path file = tokenizerDir.resolveSibling("golden").resolve("t5-cases.json");
    try {
      JsonNode root = new ObjectMapper().readTree(Files.readString(file));
      List<Case> cases = new ArrayList<>();
      for (JsonNode c : root) {
        JsonNode ids = c.path("ids");
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = ids.get(i).asInt();
        }
        cases.add(new Case(c.path("text").asText(), out));
      }
      return cases;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A writable copy of a tokenizer folder. */
  static Path copy(Path from, Path to) {
    try {
      Files.createDirectories(to);
      try (var files = Files.list(from)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.copy(f, to.resolve(f.getFileName().toString()));
        }
      }
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
