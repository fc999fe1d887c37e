package io.inkflow.inference.runtime;

import java.util.Locale;

/** Where ONNX Runtime executes a pack's graphs. */
public enum ExecutionProvider {
  CPU,
  CUDA;

  /** Parses {@code cpu}, or {@code cuda}/{@code gpu}, case-insensitively. */
  public static ExecutionProvider parse(String text) {
    switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "cpu": return CPU;
      case "cuda": case "gpu": case "nvidia": return CUDA;
      default: throw new IllegalArgumentException("expected cpu or cuda, found '" + text + "'");
    }
  }
}
