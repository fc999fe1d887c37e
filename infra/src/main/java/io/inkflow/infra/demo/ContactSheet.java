package io.inkflow.infra.demo;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/** A grid of labelled images in one PNG, for a person to look at. */
final class ContactSheet {
  private static final int CELL = 256;
  private static final int LABEL = 28;

  private ContactSheet() {}

  /** Writes {@code images} (label → PNG bytes, in order) as a grid to {@code out}. */
  static void write(Map<String, byte[]> images, Path out) throws IOException {
    int n = Math.max(1, images.size());
    int cols = (int) Math.ceil(Math.sqrt(n));
    int rows = (int) Math.ceil(n / (double) cols);
    BufferedImage sheet = new BufferedImage(cols * CELL, rows * (CELL + LABEL), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = sheet.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      int i = 0;
      for (Map.Entry<String, byte[]> e : images.entrySet()) {
        int x = (i % cols) * CELL;
        int y = (i / cols) * (CELL + LABEL);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(e.getValue()));
        if (img != null) {
          double scale = Math.min((double) CELL / img.getWidth(), (double) CELL / img.getHeight());
          int w = (int) Math.round(img.getWidth() * scale);
          int h = (int) Math.round(img.getHeight() * scale);
          g.drawImage(img, x + (CELL - w) / 2, y + (CELL - h) / 2, w, h, null);
        }
        g.setColor(Color.BLACK);
        g.drawString(e.getKey(), x + 8, y + CELL + 20);
        i++;
      }
    } finally {
      g.dispose();
    }
    ImageIO.write(sheet, "png", out.toFile());
  }
}
