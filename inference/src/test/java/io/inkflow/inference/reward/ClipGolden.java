package io.inkflow.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.testing.Golden;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The golden index of a CLIP-family reward pack ({@code scripts/models/make_clip_reward_packs.py}): the reference
 * images (PNGs of {@code testdata/reference/clip-preprocess}, checked by sha256), the prompts, the normalised
 * embeddings, the raw score of every (image, prompt) pair and one scoring batch with its expected scores.
 */
final class ClipGolden {
  private final JsonNode index;
  private final List<RgbImage> images = new ArrayList<>();
  private final List<String> prompts = new ArrayList<>();

  private ClipGolden(JsonNode index) {
    this.index = index;
    for (JsonNode image : index.get("images")) {
      images.add(png(image));
    }
    index.get("prompts").forEach(p -> prompts.add(p.get("text").asText()));
  }

  static ClipGolden of(Path pack) {
    return new ClipGolden(Golden.of(pack).index());
  }

  JsonNode index() {
    return index;
  }

  List<RgbImage> images() {
    return images;
  }

  List<String> prompts() {
    return prompts;
  }

  /** A [rows, width] array of the index, row after row. */
  float[] matrix(String key) {
    JsonNode rows = index.get(key);
    int width = rows.get(0).size();
    float[] out = new float[rows.size() * width];
    for (int r = 0; r < rows.size(); r++) {
      for (int i = 0; i < width; i++) {
        out[r * width + i] = (float) rows.get(r).get(i).asDouble();
      }
    }
    return out;
  }

  /** The expected raw score of image {@code image} and prompt {@code prompt}. */
  double raw(int image, int prompt) {
    return index.get("alignmentRaw").get(image).get(prompt).asDouble();
  }

  /** The scoring batch's inputs. */
  List<RewardInput> batch() {
    List<RewardInput> out = new ArrayList<>();
    for (JsonNode row : index.get("batch")) {
      JsonNode original = row.get("originalPrompt");
      List<String> glyphs = new ArrayList<>();
      row.get("glyphTexts").forEach(g -> glyphs.add(g.asText()));
      out.add(new RewardInput(images.get(row.get("image").asInt()), prompts.get(row.get("prompt").asInt()),
          original.isNull() ? null : prompts.get(original.asInt()), glyphs));
    }
    return out;
  }

  /** The expected scores of the batch's row {@code i}. */
  JsonNode expected(int i) {
    return index.get("batch").get(i).get("expected");
  }

  /** The PNG an image entry names (a repository path, resolved from the module's folder, where Maven runs tests). */
  private static RgbImage png(JsonNode image) {
    Path file = Path.of("..").resolve(image.get("png").asText()).toAbsolutePath().normalize();
    try {
      byte[] bytes = Files.readAllBytes(file);
      assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)))
          .as("sha256 of %s", file).isEqualTo(image.get("sha256").asText());
      return PngDecoder.decode(bytes, 1 << 24);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
