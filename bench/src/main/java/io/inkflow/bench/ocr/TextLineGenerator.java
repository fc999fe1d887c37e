package io.inkflow.bench.ocr;

import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.image.RgbImage;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.font.FontRenderContext;
import java.awt.font.TextLayout;
import java.awt.geom.AffineTransform;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded, deterministic set of single text lines drawn with Java2D for measuring OCR accuracy: the same
 * seed and index give the same text, face, size, colours, angle and pixels (on the same JDK and font files).
 *
 * <p>The rules, all fixed before any OCR output was seen (nothing is ever dropped after reading):
 * <ul>
 *   <li>Script mix by index: {@code index % 3} picks Chinese, Latin or mixed, so the mixes are balanced.</li>
 *   <li>Face by index: Latin lines cycle through all three faces, Chinese and mixed lines through the two CJK
 *       faces ({@link TextFont} explains why DejaVu Sans draws Latin only).</li>
 *   <li>Text: 4 to 20 characters, spaces not counted. Chinese characters are drawn uniformly from GB 2312
 *       level 1 ({@link Gb2312}); Latin tokens are a word from a fixed list of common English words (a quarter of
 *       them capitalised) or, one time in three, a group of 1-4 digits; a line is cut at its drawn length, so
 *       its last word may be cut short. Latin tokens are separated by a space; a run of hanzi and a Latin
 *       token by a space half of the time. A mixed line holds at least one hanzi and one Latin letter or digit.</li>
 *   <li>Size: a band of {@link SizeBand} uniformly (among the bands the size range reaches), then a size
 *       uniformly within it, in pixels per em.</li>
 *   <li>Colours: foreground and background uniformly random sRGB, drawn again until their WCAG 2 contrast
 *       ratio is at least {@value #MIN_CONTRAST} (WCAG's AA level for body text).</li>
 *   <li>Angle: uniform in [-{@value #MAX_ANGLE_DEGREES}, {@value #MAX_ANGLE_DEGREES}] degrees, rounded to 0.01.</li>
 *   <li>Margin: 0.5 to 1 em (uniform) around the rotated glyphs' bounds, on every side.</li>
 * </ul>
 * Text is drawn with grey-scale anti-aliasing and fractional metrics onto an opaque canvas.
 */
public final class TextLineGenerator {
  public static final int MIN_CHARS = 4;
  public static final int MAX_CHARS = 20;
  public static final int MIN_SIZE_PX = 16;
  public static final int MAX_SIZE_PX = 64;
  public static final double MAX_ANGLE_DEGREES = 5.0;
  public static final double MIN_CONTRAST = 4.5;
  public static final String LATIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  public static final String DIGITS = "0123456789";

  /** Common English words: Latin text that looks like text rather than letter noise. */
  static final List<String> WORDS = List.of(
      "the", "and", "for", "with", "from", "open", "river", "stone", "light", "water", "green", "house", "market",
      "paper", "city", "north", "south", "east", "west", "garden", "winter", "summer", "spring", "autumn", "road",
      "bridge", "mountain", "cloud", "rain", "snow", "wind", "fire", "tea", "rice", "bread", "coffee", "music",
      "school", "station", "train", "bus", "ticket", "hotel", "room", "door", "window", "table", "chair", "book",
      "letter", "number", "phone", "email", "online", "store", "price", "sale", "free", "new", "old", "big", "small",
      "red", "blue", "black", "white", "gold", "silver", "morning", "evening", "night", "today", "week", "month",
      "year", "time", "world", "people", "family", "friend", "happy", "quick", "brown", "fox", "jumps", "over",
      "lazy", "dog", "delta", "echo", "hello", "print", "image", "model", "text", "line", "page", "data", "cloud",
      "service", "center", "museum", "park", "exit", "entry", "floor", "level", "menu", "order", "coupon", "daily");

  private final TextFonts fonts;
  private final long seed;
  private final int minSizePx;
  private final List<SizeBand> bands;

  /**
   * @param fonts the loaded faces
   * @param seed fixes every case
   * @param minSizePx the smallest size drawn, 16..64: bands below it are left out and the band holding it is
   *     cut at it (the smoke test draws 24 px and up)
   */
  public TextLineGenerator(TextFonts fonts, long seed, int minSizePx) {
    if (minSizePx < MIN_SIZE_PX || minSizePx > MAX_SIZE_PX) {
      throw new IllegalArgumentException("expected a minimum size of " + MIN_SIZE_PX + "-" + MAX_SIZE_PX + " px, found "
          + minSizePx);
    }
    this.fonts = fonts;
    this.seed = seed;
    this.minSizePx = minSizePx;
    this.bands = Arrays.stream(SizeBand.values()).filter(b -> b.max() >= minSizePx).toList();
  }

  /** The case at {@code index}, drawn. */
  public TextCase generate(int index) {
    TextSpec spec = spec(index);
    return new TextCase(spec, render(spec));
  }

  /** What the case at {@code index} draws, without drawing it. */
  public TextSpec spec(int index) {
    if (index < 0) {
      throw new IllegalArgumentException("expected an index >= 0, found " + index);
    }
    // One stream per case, so a case does not depend on how many came before it.
    SplittableRandom random = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (index + 1L)));
    ScriptMix mix = ScriptMix.values()[index % 3];
    int round = index / 3;
    TextFont font = mix == ScriptMix.LATIN ? TextFont.values()[round % 3] : (round % 2 == 0
        ? TextFont.NOTO_SANS_CJK_SC : TextFont.WQY_ZEN_HEI);
    int length = random.nextInt(MIN_CHARS, MAX_CHARS + 1);
    String truth = switch (mix) {
      case CHINESE -> chinese(random, length);
      case LATIN -> latin(random, length);
      case MIXED -> mixed(random, length);
    };
    SizeBand band = bands.get(random.nextInt(bands.size()));
    int sizePx = random.nextInt(Math.max(band.min(), minSizePx), band.max() + 1);
    int foreground;
    int background;
    do {
      foreground = random.nextInt(1 << 24);
      background = random.nextInt(1 << 24);
    } while (Contrast.ratio(foreground, background) < MIN_CONTRAST);
    double angle = Math.round(random.nextDouble(-MAX_ANGLE_DEGREES, MAX_ANGLE_DEGREES) * 100) / 100.0;
    int margin = (int) Math.round(sizePx * random.nextDouble(0.5, 1.0));
    return new TextSpec(index, truth, mix, font, sizePx, foreground, background, angle, margin);
  }

  /** Draws a case. */
  public RgbImage render(TextSpec spec) {
    Font font = fonts.face(spec.font()).deriveFont((float) spec.sizePx());
    FontRenderContext frc = new FontRenderContext(null, RenderingHints.VALUE_TEXT_ANTIALIAS_ON,
        RenderingHints.VALUE_FRACTIONALMETRICS_ON);
    TextLayout layout = new TextLayout(spec.truth(), font, frc);
    Rectangle2D glyphs = layout.getBounds();
    double theta = -Math.toRadians(spec.angleDegrees());
    AffineTransform rotation = AffineTransform.getRotateInstance(theta);
    Rectangle2D centred = new Rectangle2D.Double(-glyphs.getWidth() / 2, -glyphs.getHeight() / 2, glyphs.getWidth(),
        glyphs.getHeight());
    Rectangle2D rotated = rotation.createTransformedShape(centred).getBounds2D();
    int width = (int) Math.ceil(rotated.getWidth()) + 2 * spec.marginPx();
    int height = (int) Math.ceil(rotated.getHeight()) + 2 * spec.marginPx();
    BufferedImage canvas = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setColor(new Color(spec.background()));
      g.fillRect(0, 0, width, height);
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.setColor(new Color(spec.foreground()));
      g.translate(width / 2.0, height / 2.0);
      g.rotate(theta);
      layout.draw(g, (float) -glyphs.getCenterX(), (float) -glyphs.getCenterY());
    } finally {
      g.dispose();
    }
    return PngDecoder.toRgb(canvas);
  }

  private static String chinese(SplittableRandom random, int length) {
    String level1 = Gb2312.level1();
    StringBuilder out = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      out.append(level1.charAt(random.nextInt(level1.length())));
    }
    return out.toString();
  }

  private static String latin(SplittableRandom random, int length) {
    StringBuilder out = new StringBuilder();
    int drawn = 0;
    while (drawn < length) {
      if (out.length() > 0) {
        out.append(' ');
      }
      String token = latinToken(random);
      String cut = token.substring(0, Math.min(token.length(), length - drawn));
      out.append(cut);
      drawn += cut.length();
    }
    return out.toString();
  }

  private static String mixed(SplittableRandom random, int length) {
    while (true) {
      StringBuilder out = new StringBuilder();
      boolean hanzi = random.nextBoolean();
      boolean hasHanzi = false;
      boolean hasLatin = false;
      boolean lastLatin = false;
      int drawn = 0;
      while (drawn < length) {
        String token = hanzi ? chinese(random, random.nextInt(1, 7)) : latinToken(random);
        String cut = token.substring(0, Math.min(token.length(), length - drawn));
        if (out.length() > 0 && (lastLatin && !hanzi || random.nextBoolean())) {
          out.append(' ');
        }
        out.append(cut);
        drawn += cut.length();
        hasHanzi |= hanzi;
        hasLatin |= !hanzi;
        lastLatin = !hanzi;
        // a run of hanzi is followed by a Latin token; a Latin token by hanzi two times in three
        hanzi = !hanzi && random.nextInt(3) != 0;
      }
      if (hasHanzi && hasLatin) {
        return out.toString();
      }
    }
  }

  private static String latinToken(SplittableRandom random) {
    if (random.nextInt(3) == 0) {
      int digits = random.nextInt(1, 5);
      StringBuilder out = new StringBuilder(digits);
      for (int i = 0; i < digits; i++) {
        out.append(DIGITS.charAt(random.nextInt(DIGITS.length())));
      }
      return out.toString();
    }
    String word = WORDS.get(random.nextInt(WORDS.size()));
    return random.nextInt(4) == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word;
  }
}
