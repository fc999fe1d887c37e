package io.inkflow.bench.ocr;

/**
 * What one case of the rendered-text set draws, fixed before anything is drawn or read.
 *
 * @param index the case's position in the set; with the seed it determines everything else
 * @param truth the text as drawn, spaces included (scoring ignores whitespace)
 * @param mix which characters the text is made of
 * @param font the face every glyph is drawn with
 * @param sizePx the font size in pixels per em
 * @param foreground text colour, 0xRRGGBB
 * @param background canvas colour, 0xRRGGBB
 * @param angleDegrees rotation of the line, counter-clockwise as seen in the image
 * @param marginPx blank space around the rotated text's bounds on every side
 */
public record TextSpec(int index, String truth, ScriptMix mix, TextFont font, int sizePx, int foreground,
    int background, double angleDegrees, int marginPx) {

  /** The case's name, also its image file's name without {@code .png}: {@code case-0007}. */
  public String id() {
    return String.format("case-%04d", index);
  }

  /** The size band the case is reported in. */
  public SizeBand band() {
    return SizeBand.of(sizePx);
  }

  /** The WCAG 2 contrast ratio of the two colours (1 to 21). */
  public double contrast() {
    return Contrast.ratio(foreground, background);
  }
}
