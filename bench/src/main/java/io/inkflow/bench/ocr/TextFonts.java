package io.inkflow.bench.ocr;

import java.awt.Font;
import java.awt.FontFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The three {@link TextFont} faces, loaded from their files and checked to draw every character the
 * generator may give them (GB 2312 level 1, ASCII letters, digits and space for the CJK faces; ASCII letters,
 * digits and space for DejaVu Sans), so that no case can show a missing-glyph box.
 */
public final class TextFonts {
  private final Map<TextFont, Font> faces;

  private TextFonts(Map<TextFont, Font> faces) {
    this.faces = faces;
  }

  /**
   * Loads every face from its Debian path.
   *
   * @throws IllegalStateException naming the file and the package when a file is missing, unreadable, lacks
   *     the face or a character
   */
  public static TextFonts load() {
    Map<TextFont, Font> faces = new EnumMap<>(TextFont.class);
    for (TextFont font : TextFont.values()) {
      faces.put(font, loadFace(font));
    }
    return new TextFonts(faces);
  }

  /** The face at 1 pt; derive the size to draw with. */
  public Font face(TextFont font) {
    return faces.get(font);
  }

  private static Font loadFace(TextFont font) {
    if (!Files.isRegularFile(font.file())) {
      throw new IllegalStateException("font file " + font.file() + " is missing; install it with scripts/lib/common.sh's"
          + " inkflow_ensure_fonts (apt-get install fonts-noto-cjk fonts-wqy-zenhei fonts-dejavu-core)");
    }
    Font[] candidates;
    try {
      candidates = Font.createFonts(font.file().toFile());
    } catch (IOException | FontFormatException e) {
      throw new IllegalStateException("cannot read font file " + font.file() + ": " + e.getMessage(), e);
    }
    for (Font candidate : candidates) {
      if (candidate.getFontName(Locale.ROOT).equals(font.faceName())) {
        String needed = TextLineGenerator.LATIN_LETTERS + TextLineGenerator.DIGITS + " "
            + (font.cjk() ? Gb2312.level1() : "");
        int missing = candidate.canDisplayUpTo(needed);
        if (missing >= 0) {
          throw new IllegalStateException("expected " + font.faceName() + " in " + font.file() + " to draw every"
              + " character it is given, found none for U+" + Integer.toHexString(needed.codePointAt(missing)));
        }
        return candidate;
      }
    }
    throw new IllegalStateException("expected the face " + font.faceName() + " in " + font.file() + ", found "
        + candidates.length + " other face(s)");
  }
}
