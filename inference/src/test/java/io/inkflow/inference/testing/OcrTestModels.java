package io.inkflow.inference.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.ocr.OcrModels;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The PP-OCRv4 models for tests: the directory {@code scripts/models/fetch-ppocr} fills (the build
 * passes it as {@code -Dinkflow.ocr.models}). A test that needs them fails, naming the script, when
 * they are absent: {@code scripts/test} fetches them first.
 */
public final class OcrTestModels {
  private OcrTestModels() {}

  public static Path dir() {
    Path dir = OcrModels.configuredDir().orElse(Path.of("..", ".cache", "models", "ppocr-v4-1.4.2"))
        .toAbsolutePath().normalize();
    assertThat(Files.isDirectory(dir))
        .as("PP-OCRv4 models in %s: run scripts/models/fetch-ppocr (scripts/test does)", dir)
        .isTrue();
    return dir;
  }

  public static OcrModels verified() {
    return OcrModels.verified(dir());
  }
}
