package io.inkflow.inference.pack;

/**
 * How a reward head's raw score (a CLIP cosine or scaled logit, an aesthetic predictor's rating) becomes a score
 * in [0, 1]: {@code linear} maps {@code min} to 0 and {@code max} to 1 and clips outside. Written in the manifest
 * as {@code "scoreMap": {"type": "linear", "min": ..., "max": ...}}.
 *
 * @param min the raw score that maps to 0
 * @param max the raw score that maps to 1, above {@code min}
 */
public record ScoreMap(double min, double max) {
  /** The only map type. */
  public static final String LINEAR = "linear";

  public ScoreMap {
    if (!Double.isFinite(min) || !Double.isFinite(max) || !(max > min)) {
      throw new IllegalArgumentException("expected finite min < max, found min " + min + ", max " + max);
    }
  }

  /** {@code (raw - min) / (max - min)} clipped to [0, 1]; NaN stays NaN, so a broken graph is not hidden. */
  public double apply(double raw) {
    if (Double.isNaN(raw)) {
      return raw;
    }
    return Math.min(1.0, Math.max(0.0, (raw - min) / (max - min)));
  }

  /** Reads the {@code scoreMap} object of a head's section. */
  static ScoreMap read(ManifestJson parent) {
    ManifestJson json = parent.object("scoreMap");
    String type = json.text("type");
    if (!type.equals(LINEAR)) {
      throw json.error("type", "expected '" + LINEAR + "', found '" + type + "'");
    }
    double min = json.number("min");
    double max = json.number("max");
    if (!Double.isFinite(min)) {
      throw json.error("min", "expected a finite number, found " + min);
    }
    if (!(max > min) || !Double.isFinite(max)) {
      throw json.error("max", "expected a finite number above min " + min + ", found " + max);
    }
    return new ScoreMap(min, max);
  }
}
