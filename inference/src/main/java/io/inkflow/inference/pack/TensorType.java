package io.inkflow.inference.pack;

import java.util.Locale;

/** Element types a pack's graphs may use, spelled in manifests as numpy spells them. */
public enum TensorType {
  FLOAT32("float32", 4),
  FLOAT16("float16", 2),
  INT64("int64", 8),
  INT32("int32", 4),
  UINT8("uint8", 1),
  BOOL("bool", 1);

  private final String manifestName;
  private final int bytes;

  TensorType(String manifestName, int bytes) {
    this.manifestName = manifestName;
    this.bytes = bytes;
  }

  /** The name used in pack.json and golden indexes, e.g. {@code float16}. */
  public String manifestName() {
    return manifestName;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** Whether this is a floating-point type (float32 or float16). */
  public boolean isFloat() {
    return this == FLOAT32 || this == FLOAT16;
  }

  /** Parses a manifest dtype; accepts {@code float}, {@code fp32}, {@code half}, {@code fp16} too. */
  public static TensorType parse(String text) {
    String key = text.trim().toLowerCase(Locale.ROOT);
    switch (key) {
      case "float32": case "float": case "fp32": return FLOAT32;
      case "float16": case "half": case "fp16": return FLOAT16;
      case "int64": case "long": return INT64;
      case "int32": case "int": return INT32;
      case "uint8": case "byte": return UINT8;
      case "bool": case "boolean": return BOOL;
      default:
        throw new IllegalArgumentException(
            "expected a dtype (float32, float16, int64, int32, uint8, bool), found '" + text + "'");
    }
  }

  @Override
  public String toString() {
    return manifestName;
  }
}
