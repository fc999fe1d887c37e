package io.inkflow.inference.scheduler;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The diffusers scheduler golden data in {@code testdata/reference/diffusers-schedulers} (see its
 * README): one JSON per configuration and a raw little-endian float32 file its tensor refs point
 * into. It is part of the checkout, beside the repository root; {@code -Dinkflow.schedulerReference}
 * points elsewhere. A missing folder fails the tests.
 */
final class SchedulerReference {
  static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  private SchedulerReference() {}

  static Path dir() {
    String configured = System.getProperty("inkflow.schedulerReference");
    // surefire runs in the module folder: <repo>/inference, and shared/ sits beside <repo>
    Path dir = configured != null ? Path.of(configured)
        : Path.of(System.getProperty("user.dir"), "..", "testdata", "reference", "diffusers-schedulers");
    dir = dir.toAbsolutePath().normalize();
    if (!Files.isRegularFile(dir.resolve("index.json"))) {
      throw new AssertionError("scheduler golden data missing: expected " + dir.resolve("index.json")
          + " (testdata/reference/diffusers-schedulers of the repository, or -Dinkflow.schedulerReference)");
    }
    return dir;
  }

  static JsonNode index() {
    return read(dir().resolve("index.json"));
  }

  /** Every configuration in the index, loaded. */
  static List<Config> configs() {
    List<Config> out = new ArrayList<>();
    for (JsonNode c : index().get("configs")) {
      out.add(load(c.get("id").asText()));
    }
    return out;
  }

  static Config load(String id) {
    Path dir = dir();
    JsonNode json = read(dir.resolve(id + ".json"));
    try {
      byte[] bin = Files.readAllBytes(dir.resolve(json.get("bin_file").asText()));
      return new Config(id, json, ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One configuration: its JSON and its tensors. */
  record Config(String id, JsonNode json, ByteBuffer bin) {
    float[] tensor(JsonNode ref) {
      float[] out = new float[ref.get("count").asInt()];
      bin.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(ref.get("offset").asInt()).asFloatBuffer().get(out);
      return out;
    }

    String schedulerClass() {
      return json.get("scheduler_class").asText();
    }

    @Override
    public String toString() {
      return id;
    }
  }

  /** A JSON list of float32 values written as shortest round-trip decimals. */
  static float[] floats(JsonNode values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Float.parseFloat(values.get(i).asText());
    }
    return out;
  }
}
