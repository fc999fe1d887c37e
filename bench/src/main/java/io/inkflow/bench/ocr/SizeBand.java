package io.inkflow.bench.ocr;

/** The font-size bands accuracy is reported by, in pixels per em, bounds inclusive. */
public enum SizeBand {
  PX_16_23(16, 23),
  PX_24_31(24, 31),
  PX_32_47(32, 47),
  PX_48_64(48, 64);

  private final int min;
  private final int max;

  SizeBand(int min, int max) {
    this.min = min;
    this.max = max;
  }

  public int min() {
    return min;
  }

  public int max() {
    return max;
  }

  /** A short name for reports: {@code 16-23px}. */
  public String label() {
    return min + "-" + max + "px";
  }

  /** The band that holds {@code sizePx}. */
  public static SizeBand of(int sizePx) {
    for (SizeBand band : values()) {
      if (sizePx >= band.min && sizePx <= band.max) {
        return band;
      }
    }
    throw new IllegalArgumentException("expected a size of 16-64 px, found " + sizePx);
  }
}
