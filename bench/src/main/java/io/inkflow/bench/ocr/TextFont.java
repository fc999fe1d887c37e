package io.inkflow.bench.ocr;

import java.nio.file.Path;

/**
 * The faces the rendered-text set draws with, each read by file path from a Debian package (installed by
 * {@code inkflow_ensure_fonts} in {@code scripts/lib/common.sh}), never looked up among the system's fonts.
 *
 * <p>DejaVu Sans has no CJK glyphs, and Java2D does not fall back to another face for a font created from a
 * file. It is therefore used for Latin/digit lines only, never as a fallback inside a mixed line: every glyph
 * of a line comes from the face the case names.
 */
public enum TextFont {
  /** Noto Sans CJK SC (the simplified-Chinese face of the collection), package fonts-noto-cjk. */
  NOTO_SANS_CJK_SC("noto-sans-cjk-sc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC", true),
  /** WenQuanYi Zen Hei (the proportional face of the collection), package fonts-wqy-zenhei. */
  WQY_ZEN_HEI("wqy-zen-hei", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei", true),
  /** DejaVu Sans, package fonts-dejavu-core: Latin and digits only. */
  DEJAVU_SANS("dejavu-sans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVu Sans", false);

  private final String label;
  private final Path file;
  private final String faceName;
  private final boolean cjk;

  TextFont(String label, String file, String faceName, boolean cjk) {
    this.label = label;
    this.file = Path.of(file);
    this.faceName = faceName;
    this.cjk = cjk;
  }

  /** A short name for reports and file columns. */
  public String label() {
    return label;
  }

  /** The font file (a TrueType collection holds several faces). */
  public Path file() {
    return file;
  }

  /** The face's name inside the file, in the root locale. */
  public String faceName() {
    return faceName;
  }

  /** Whether the face covers GB 2312 level 1; the others draw Latin letters and digits only. */
  public boolean cjk() {
    return cjk;
  }
}
