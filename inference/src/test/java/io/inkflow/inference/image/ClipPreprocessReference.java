package io.inkflow.inference.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPInputStream;

/**
 * The CLIP preprocessing golden data in {@code testdata/reference/clip-preprocess} (see its README): transformers'
 * own {@code CLIPImageProcessor} run on six PNGs, with the images right after its resize and the
 * {@code pixel_values} it returned. It is part of the checkout; {@code -Dinkflow.clipPreprocessReference} points
 * elsewhere. A missing folder fails the tests.
 */
final class ClipPreprocessReference {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static float[] pixelValues;

  private ClipPreprocessReference() {}

  /** {@code testdata/reference/clip-preprocess} of the repository root (the module runs its tests one level below). */
  static Path dir() {
    String configured = System.getProperty("inkflow.clipPreprocessReference");
    Path dir = configured != null ? Path.of(configured)
        : Path.of("..", "testdata", "reference", "clip-preprocess");
    dir = dir.toAbsolutePath().normalize();
    assertThat(dir.resolve("index.json"))
        .as("the CLIP preprocessing reference (testdata/reference/clip-preprocess of the repository, or"
            + " -Dinkflow.clipPreprocessReference)")
        .isRegularFile();
    return dir;
  }

  static JsonNode index() {
    try {
      return JSON.readTree(dir().resolve("index.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One of the folder's PNGs, decoded. */
  static RgbImage png(String name) {
    try {
      return PngDecoder.decode(Files.readAllBytes(dir().resolve(name)), 1 << 24);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The float32 values a case's {@code pixel_values} ref points at (offset in bytes of the decompressed file). */
  static float[] pixelValues(JsonNode ref) {
    int first = ref.get("offset").asInt() / 4;
    return Arrays.copyOfRange(allPixelValues(), first, first + ref.get("count").asInt());
  }

  /** All six cases' pixel_values, the gzip decompressed once and checked against its recorded hash. */
  private static synchronized float[] allPixelValues() {
    if (pixelValues == null) {
      JsonNode file = index().get("pixel_values_file");
      try (InputStream in = new GZIPInputStream(Files.newInputStream(dir().resolve(file.get("name").asText())))) {
        byte[] raw = in.readAllBytes();
        assertThat(raw).hasSize(file.get("raw_bytes").asInt());
        assertThat(sha256(raw)).isEqualTo(file.get("raw_sha256").asText());
        float[] values = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        pixelValues = values;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return pixelValues;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
