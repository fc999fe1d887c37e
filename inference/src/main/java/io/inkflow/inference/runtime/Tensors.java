package io.inkflow.inference.runtime;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import io.inkflow.inference.pack.TensorType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/**
 * Tensor creation and reading at a pack's precision: callers work in {@code float[]} and these
 * helpers convert to and from float16 at the graph boundary (sampler arithmetic stays in fp32, as
 * diffusers upcasts latents). Tensors are backed by direct native-order buffers, which ONNX
 * Runtime uses without another copy.
 */
public final class Tensors {
  private Tensors() {}

  /** A direct, native-order float buffer of {@code size} elements. */
  public static FloatBuffer directFloats(int size) {
    return ByteBuffer.allocateDirect(Math.multiplyExact(size, 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }

  /** A direct, native-order short buffer of {@code size} elements (float16 storage). */
  public static ShortBuffer directShorts(int size) {
    return ByteBuffer.allocateDirect(Math.multiplyExact(size, 2)).order(ByteOrder.nativeOrder()).asShortBuffer();
  }

  /** Number of elements of a shape. */
  public static int elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return Math.toIntExact(n);
  }

  /** A float tensor of {@code type} (float32 or float16) holding {@code data}. */
  public static OnnxTensor floats(OrtEnvironment env, float[] data, long[] shape, TensorType type)
      throws OrtException {
    checkSize(data.length, shape);
    if (type == TensorType.FLOAT32) {
      FloatBuffer buffer = directFloats(data.length);
      buffer.put(data).rewind();
      return OnnxTensor.createTensor(env, buffer, shape);
    }
    if (type == TensorType.FLOAT16) {
      ShortBuffer buffer = directShorts(data.length);
      for (float v : data) {
        buffer.put(Half.fromFloat(v));
      }
      buffer.rewind();
      return OnnxTensor.createTensor(env, buffer, shape, OnnxJavaType.FLOAT16);
    }
    throw new IllegalArgumentException("expected float32 or float16, found " + type);
  }

  /** An int64 tensor holding {@code data}. */
  public static OnnxTensor longs(OrtEnvironment env, long[] data, long[] shape) throws OrtException {
    checkSize(data.length, shape);
    LongBuffer buffer = ByteBuffer.allocateDirect(data.length * 8).order(ByteOrder.nativeOrder()).asLongBuffer();
    buffer.put(data).rewind();
    return OnnxTensor.createTensor(env, buffer, shape);
  }

  /** An int32 tensor holding {@code data} (ids for graphs that take int32), each value checked to fit. */
  public static OnnxTensor ints(OrtEnvironment env, long[] data, long[] shape) throws OrtException {
    checkSize(data.length, shape);
    IntBuffer buffer = ByteBuffer.allocateDirect(data.length * 4).order(ByteOrder.nativeOrder()).asIntBuffer();
    for (long v : data) {
      buffer.put(Math.toIntExact(v));
    }
    buffer.rewind();
    return OnnxTensor.createTensor(env, buffer, shape);
  }

  /**
   * A zero-filled output tensor of {@code type} to pass as a pinned output: ONNX Runtime writes
   * into its direct buffer, which {@link PinnedOutput#read} copies out after each run.
   */
  public static PinnedOutput allocate(OrtEnvironment env, long[] shape, TensorType type) throws OrtException {
    int n = elements(shape);
    if (type == TensorType.FLOAT32) {
      FloatBuffer buffer = directFloats(n);
      return new PinnedOutput(OnnxTensor.createTensor(env, buffer, shape), buffer, null);
    }
    if (type == TensorType.FLOAT16) {
      ShortBuffer buffer = directShorts(n);
      return new PinnedOutput(OnnxTensor.createTensor(env, buffer, shape, OnnxJavaType.FLOAT16), null, buffer);
    }
    throw new IllegalArgumentException("expected float32 or float16, found " + type);
  }

  /**
   * A direct buffer an input of fixed shape is written into at every call (a sampler's latents), so
   * a step allocates no native memory: {@link #wrap} copies the values in (converting to float16 when
   * the graph takes it) and returns a tensor over the buffer, which the caller closes after the run.
   */
  public static final class ReusableInput {
    private final long[] shape;
    private final FloatBuffer floats;
    private final ShortBuffer halves;
    private short[] scratch;

    /** An input of {@code shape} and element type {@code type} (float32 or float16). */
    public ReusableInput(long[] shape, TensorType type) {
      this.shape = shape.clone();
      int n = elements(shape);
      if (type != TensorType.FLOAT32 && type != TensorType.FLOAT16) {
        throw new IllegalArgumentException("expected float32 or float16, found " + type);
      }
      this.floats = type == TensorType.FLOAT32 ? directFloats(n) : null;
      this.halves = type == TensorType.FLOAT16 ? directShorts(n) : null;
    }

    /** A tensor over the buffer holding {@code values}; close it after the run (the buffer stays). */
    public OnnxTensor wrap(OrtEnvironment env, float[] values) throws OrtException {
      checkSize(values.length, shape);
      if (floats != null) {
        floats.clear();
        floats.put(values).rewind();
        return OnnxTensor.createTensor(env, floats, shape);
      }
      if (scratch == null) {
        scratch = new short[values.length];
      }
      for (int i = 0; i < values.length; i++) {
        scratch[i] = Half.fromFloat(values[i]);
      }
      halves.clear();
      halves.put(scratch).rewind();
      return OnnxTensor.createTensor(env, halves, shape, OnnxJavaType.FLOAT16);
    }
  }

  /** A caller-owned output tensor and the direct buffer behind it. */
  public static final class PinnedOutput implements AutoCloseable {
    private final OnnxTensor tensor;
    private final FloatBuffer floats;
    private final ShortBuffer halves;

    private short[] scratch;

    private PinnedOutput(OnnxTensor tensor, FloatBuffer floats, ShortBuffer halves) {
      this.tensor = tensor;
      this.floats = floats;
      this.halves = halves;
    }

    /** The tensor to pass in the pinned-outputs map. */
    public OnnxTensor tensor() {
      return tensor;
    }

    /** Copies the last run's output into {@code out} as float32. */
    public void read(float[] out) {
      if (floats != null) {
        floats.rewind();
        floats.get(out);
      } else {
        if (scratch == null || scratch.length != out.length) {
          scratch = new short[out.length];
        }
        halves.rewind();
        halves.get(scratch);
        for (int i = 0; i < out.length; i++) {
          out[i] = Half.toFloat(scratch[i]);
        }
      }
    }

    @Override
    public void close() {
      tensor.close();
    }
  }

  /** Copies a float32 or float16 tensor into {@code out} as float32. */
  public static void read(OnnxTensor tensor, float[] out) {
    TensorInfo info = tensor.getInfo();
    checkSize(out.length, info.getShape());
    if (info.type == OnnxJavaType.FLOAT) {
      tensor.getFloatBuffer().get(out);
    } else if (info.type == OnnxJavaType.FLOAT16) {
      ShortBuffer buffer = tensor.getShortBuffer();
      for (int i = 0; i < out.length; i++) {
        out[i] = Half.toFloat(buffer.get(i));
      }
    } else {
      throw new IllegalArgumentException("expected a float32 or float16 tensor, found " + info.type);
    }
  }

  /** A float32 copy of a float32 or float16 output value. */
  public static float[] toFloats(OnnxValue value) {
    if (!(value instanceof OnnxTensor)) {
      throw new IllegalArgumentException("expected a tensor, found " + value.getType());
    }
    OnnxTensor tensor = (OnnxTensor) value;
    float[] out = new float[elements(tensor.getInfo().getShape())];
    read(tensor, out);
    return out;
  }

  /** The shape of an output value. */
  public static long[] shape(OnnxValue value) {
    return ((OnnxTensor) value).getInfo().getShape();
  }

  private static void checkSize(int length, long[] shape) {
    if (elements(shape) != length) {
      throw new IllegalArgumentException("expected " + elements(shape) + " elements for shape "
          + Arrays.toString(shape) + ", found " + length);
    }
  }
}
