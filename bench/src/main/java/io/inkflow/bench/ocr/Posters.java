package io.inkflow.bench.ocr;

import io.inkflow.inference.image.RgbImage;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Square benchmark images with text to read: a noise-textured background (so PNGs compress like
 * photos) with the poster's texts drawn in Noto Sans CJK, one per line, dark on a light band.
 */
public final class Posters {
  /** The texts every poster shows, Chinese and Latin, as a catalogue image would. */
  public static final List<String> TEXTS = List.of("春季新品上市", "SALE 50% OFF");

  private final Font face;

  public Posters(TextFonts fonts) {
    this.face = fonts.face(TextFont.NOTO_SANS_CJK_SC);
  }

  /** Poster {@code index} at {@code side} x {@code side} pixels. */
  public RgbImage draw(int side, int index) {
    BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
    SplittableRandom random = new SplittableRandom(index);
    for (int y = 0; y < side; y++) {
      for (int x = 0; x < side; x++) {
        int v = Math.min(255, x * 255 / side + random.nextInt(48));
        img.setRGB(x, y, (v << 16) | ((255 - v) << 8) | (v / 2));
      }
    }
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    Font font = face.deriveFont((float) Math.max(12, side / 14));
    g.setFont(font);
    int lineHeight = g.getFontMetrics().getHeight();
    for (int i = 0; i < TEXTS.size(); i++) {
      int baseline = side / 3 + i * 2 * lineHeight;
      g.setColor(new Color(245, 240, 225));
      g.fillRect(side / 16, baseline - lineHeight, side - side / 8, lineHeight + lineHeight / 3);
      g.setColor(new Color(30, 30, 40));
      g.drawString(TEXTS.get(i), side / 10, baseline);
    }
    g.dispose();
    int[] argb = img.getRGB(0, 0, side, side, null, 0, side);
    byte[] rgb = new byte[side * side * 3];
    for (int i = 0; i < argb.length; i++) {
      rgb[3 * i] = (byte) (argb[i] >> 16);
      rgb[3 * i + 1] = (byte) (argb[i] >> 8);
      rgb[3 * i + 2] = (byte) argb[i];
    }
    return new RgbImage(side, side, rgb);
  }
}
