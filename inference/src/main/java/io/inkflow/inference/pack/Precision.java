package io.inkflow.inference.pack;

import java.util.Locale;

/** Numeric precision of a pack's float inputs and outputs. */
public enum Precision {
  FP32(TensorType.FLOAT32),
  FP16(TensorType.FLOAT16);

  private final TensorType floatType;

  Precision(TensorType floatType) {
    this.floatType = floatType;
  }

  /** The element type every float input and output of the pack's graphs uses. */
  public TensorType floatType() {
    return floatType;
  }

  /** Parses {@code fp32}/{@code float32} or {@code fp16}/{@code float16}, case-insensitively. */
  public static Precision parse(String text) {
    switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "fp32": case "float32": case "float": return FP32;
      case "fp16": case "float16": case "half": return FP16;
      default: throw new IllegalArgumentException("expected fp32 or fp16, found '" + text + "'");
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
