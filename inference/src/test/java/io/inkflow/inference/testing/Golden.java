package io.inkflow.inference.testing;

import ai.onnxruntime.platform.Fp16Conversions;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Golden tensors written by {@code scripts/models} ({@code golden/index.json} + raw little-endian files). */
public final class Golden {
  private final Path dir;
  private final JsonNode index;

  private Golden(Path dir, JsonNode index) {
    this.dir = dir;
    this.index = index;
  }

  public static Golden of(Path pack) {
    Path dir = pack.resolve("golden");
    try {
      return new Golden(dir, new ObjectMapper().readTree(dir.resolve("index.json").toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public JsonNode index() {
    return index;
  }

  public JsonNode graph(String key) {
    return index.get("graphs").get(key);
  }

  /** A tensor entry {name, dtype, shape, file} as a typed tensor. */
  public Tensor tensor(JsonNode spec) {
    try {
      byte[] bytes = Files.readAllBytes(dir.resolve(spec.get("file").asText()));
      long[] shape = new long[spec.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = spec.get("shape").get(i).asLong();
      }
      return new Tensor(spec.get("name").asText(), spec.get("dtype").asText(), shape,
          ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A golden tensor. */
  public record Tensor(String name, String dtype, long[] shape, ByteBuffer data) {
    public float[] floats() {
      ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      if (dtype.equals("float32")) {
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
      }
      if (dtype.equals("float16")) {
        float[] out = new float[b.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
          out[i] = Fp16Conversions.fp16ToFloat(b.getShort(2 * i));
        }
        return out;
      }
      throw new IllegalStateException("not a float tensor: " + dtype);
    }

    public long[] longs() {
      if (!dtype.equals("int64")) {
        throw new IllegalStateException("not an int64 tensor: " + dtype);
      }
      long[] out = new long[data.remaining() / 8];
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
      return out;
    }

    public byte[] bytes() {
      byte[] out = new byte[data.remaining()];
      data.duplicate().get(out);
      return out;
    }
  }
}
