package io.inkflow.inference.runtime;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.util.Locale;

/** ONNX Runtime graph optimisation levels, parsed from configuration. */
public enum OptimizationLevel {
  NONE(OptLevel.NO_OPT),
  BASIC(OptLevel.BASIC_OPT),
  EXTENDED(OptLevel.EXTENDED_OPT),
  ALL(OptLevel.ALL_OPT);

  private final OptLevel ortLevel;

  OptimizationLevel(OptLevel ortLevel) {
    this.ortLevel = ortLevel;
  }

  OptLevel ortLevel() {
    return ortLevel;
  }

  /** Parses {@code none|basic|extended|all} (also {@code no_opt}, {@code all_opt}, …). */
  public static OptimizationLevel parse(String text) {
    String key = text.trim().toLowerCase(Locale.ROOT).replace("_opt", "").replace("-opt", "");
    switch (key) {
      case "none": case "no": case "off": case "disabled": return NONE;
      case "basic": return BASIC;
      case "extended": return EXTENDED;
      case "all": case "max": return ALL;
      default: throw new IllegalArgumentException("expected none, basic, extended or all, found '" + text + "'");
    }
  }
}
