package io.inkflow.inference.testing;

import io.inkflow.inference.image.RgbImage;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontFormatException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Text drawn with Debian's fonts (headless AWT), for OCR tests. */
public final class TextImages {
  /** Noto Sans CJK (fonts-noto-cjk): Chinese and Latin. */
  public static final Path NOTO_CJK = Path.of("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc");

  private TextImages() {}

  public static Font font(Path file, float size) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("font " + file + " is missing: install fonts-noto-cjk (scripts/test does)");
    }
    try {
      return Font.createFonts(file.toFile())[0].deriveFont(size);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (FontFormatException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Lines drawn one under another, dark on light, with a margin of one line height. */
  public static RgbImage draw(Font font, List<String> lines, Color ink, Color paper) {
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D p = probe.createGraphics();
    int lineHeight = p.getFontMetrics(font).getHeight();
    int width = 0;
    for (String line : lines) {
      width = Math.max(width, p.getFontMetrics(font).stringWidth(line));
    }
    p.dispose();
    int margin = lineHeight;
    BufferedImage img = new BufferedImage(width + 2 * margin, lineHeight * lines.size() * 2 + margin,
        BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(paper);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(ink);
    g.setFont(font);
    for (int i = 0; i < lines.size(); i++) {
      g.drawString(lines.get(i), margin, margin + lineHeight * (2 * i + 1));
    }
    g.dispose();
    return rgb(img);
  }

  public static RgbImage rgb(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] rgb = new byte[w * h * 3];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int v = img.getRGB(x, y);
        int o = (y * w + x) * 3;
        rgb[o] = (byte) (v >> 16);
        rgb[o + 1] = (byte) (v >> 8);
        rgb[o + 2] = (byte) v;
      }
    }
    return new RgbImage(w, h, rgb);
  }
}
