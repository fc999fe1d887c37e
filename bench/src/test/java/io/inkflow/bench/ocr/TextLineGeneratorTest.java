package io.inkflow.bench.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.image.PngEncoder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TextLineGeneratorTest {
  private static final long SEED = 20240611L;
  private static TextFonts fonts;

  @BeforeAll
  static void loadFonts() {
    fonts = TextFonts.load();
  }

  @Test
  void gb2312LevelOneIsComputedFromTheCharset() {
    String level1 = Gb2312.level1();
    assertThat(level1).hasSize(Gb2312.LEVEL1_SIZE);
    assertThat(level1.charAt(0)).isEqualTo('啊');  // 0xB0A1
    assertThat(level1.charAt(level1.length() - 1)).isEqualTo('座');  // 0xD7F9
    assertThat(level1.chars().distinct().count()).isEqualTo(Gb2312.LEVEL1_SIZE);
    assertThat(level1.chars().allMatch(Character::isIdeographic)).isTrue();
  }

  @Test
  void sameSeedDrawsTheSameBytes() {
    TextLineGenerator first = new TextLineGenerator(fonts, SEED, 16);
    TextLineGenerator second = new TextLineGenerator(fonts, SEED, 16);
    PngEncoder png = PngEncoder.standard();
    for (int i = 0; i < 9; i++) {
      TextCase a = first.generate(i);
      TextCase b = second.generate(i);
      assertThat(b.spec()).isEqualTo(a.spec());
      assertThat(b.image().rgb()).isEqualTo(a.image().rgb());
      assertThat(png.encode(b.image(), Map.of())).isEqualTo(png.encode(a.image(), Map.of()));
    }
    // a case does not depend on the cases drawn before it
    assertThat(second.generate(5).image().rgb()).isEqualTo(first.generate(5).image().rgb());
    assertThat(new TextLineGenerator(fonts, SEED + 1, 16).spec(0)).isNotEqualTo(first.spec(0));
  }

  @Test
  void everyCaseKeepsTheRules() {
    TextLineGenerator generator = new TextLineGenerator(fonts, SEED, 16);
    Set<TextFont> fontsUsed = EnumSet.noneOf(TextFont.class);
    Set<SizeBand> bandsUsed = EnumSet.noneOf(SizeBand.class);
    List<TextSpec> specs = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      specs.add(generator.spec(i));
    }
    for (TextSpec spec : specs) {
      String truth = spec.truth();
      String drawn = truth.replace(" ", "");
      assertThat(drawn.length()).as(truth).isBetween(TextLineGenerator.MIN_CHARS, TextLineGenerator.MAX_CHARS);
      assertThat(truth).as(truth).doesNotStartWith(" ").doesNotEndWith(" ").doesNotContain("  ");
      boolean hasHanzi = drawn.chars().anyMatch(Gb2312::isLevel1);
      boolean hasLatin = drawn.chars().anyMatch(c -> isLatinOrDigit((char) c));
      assertThat(drawn.chars().allMatch(c -> Gb2312.isLevel1(c) || isLatinOrDigit((char) c))).as(truth).isTrue();
      switch (spec.mix()) {
        case CHINESE -> assertThat(hasLatin || truth.contains(" ")).as(truth).isFalse();
        case LATIN -> assertThat(hasHanzi).as(truth).isFalse();
        case MIXED -> assertThat(hasHanzi && hasLatin).as(truth).isTrue();
      }
      if (!spec.font().cjk()) {
        assertThat(spec.mix()).isEqualTo(ScriptMix.LATIN);
      }
      assertThat(spec.sizePx()).isBetween(TextLineGenerator.MIN_SIZE_PX, TextLineGenerator.MAX_SIZE_PX);
      assertThat(spec.angleDegrees()).isBetween(-TextLineGenerator.MAX_ANGLE_DEGREES, TextLineGenerator.MAX_ANGLE_DEGREES);
      assertThat(spec.contrast()).isGreaterThanOrEqualTo(TextLineGenerator.MIN_CONTRAST);
      assertThat(spec.marginPx()).isBetween(spec.sizePx() / 2, spec.sizePx());
      fontsUsed.add(spec.font());
      bandsUsed.add(spec.band());
    }
    assertThat(fontsUsed).containsExactlyInAnyOrder(TextFont.values());
    assertThat(bandsUsed).containsExactlyInAnyOrder(SizeBand.values());
    for (ScriptMix mix : ScriptMix.values()) {
      assertThat(specs.stream().filter(s -> s.mix() == mix).count()).isEqualTo(100);
    }
  }

  @Test
  void imagesHoldTheTextWithAMargin() {
    TextLineGenerator generator = new TextLineGenerator(fonts, SEED, 16);
    for (int i = 0; i < 6; i++) {
      TextCase textCase = generator.generate(i);
      TextSpec spec = textCase.spec();
      int width = textCase.image().width();
      int height = textCase.image().height();
      assertThat(height).isGreaterThan(spec.sizePx() / 2 + 2 * spec.marginPx());
      // the border is background only, and some pixel inside is nearer the foreground than the background
      for (int x = 0; x < width; x++) {
        assertThat(rgb(textCase, x, 0)).isEqualTo(spec.background());
        assertThat(rgb(textCase, x, height - 1)).isEqualTo(spec.background());
      }
      boolean inked = false;
      for (int y = 0; y < height && !inked; y++) {
        for (int x = 0; x < width && !inked; x++) {
          int pixel = rgb(textCase, x, y);
          inked = distance(pixel, spec.foreground()) < distance(pixel, spec.background());
        }
      }
      assertThat(inked).as(spec.id() + " has inked pixels").isTrue();
    }
  }

  @Test
  void aMinimumSizeLeavesSmallerSizesOut() {
    TextLineGenerator generator = new TextLineGenerator(fonts, SEED, 24);
    for (int i = 0; i < 200; i++) {
      assertThat(generator.spec(i).sizePx()).isBetween(24, TextLineGenerator.MAX_SIZE_PX);
    }
  }

  private static boolean isLatinOrDigit(char c) {
    return TextLineGenerator.LATIN_LETTERS.indexOf(c) >= 0 || TextLineGenerator.DIGITS.indexOf(c) >= 0;
  }

  private static int distance(int a, int b) {
    int d = 0;
    for (int shift = 0; shift <= 16; shift += 8) {
      d += Math.abs((a >>> shift & 0xFF) - (b >>> shift & 0xFF));
    }
    return d;
  }

  private static int rgb(TextCase textCase, int x, int y) {
    return textCase.image().level(x, y, 0) << 16 | textCase.image().level(x, y, 1) << 8 | textCase.image().level(x, y, 2);
  }
}
