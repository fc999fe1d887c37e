package io.inkflow.bench.ocr;

/** Which characters a rendered line is made of. */
public enum ScriptMix {
  /** GB 2312 level-1 hanzi only. */
  CHINESE("chinese"),
  /** Latin words and digit groups, separated by spaces. */
  LATIN("latin"),
  /** Runs of hanzi alternating with Latin words or digit groups: at least one of each. */
  MIXED("mixed");

  private final String label;

  ScriptMix(String label) {
    this.label = label;
  }

  /** A short name for reports and file columns. */
  public String label() {
    return label;
  }
}
