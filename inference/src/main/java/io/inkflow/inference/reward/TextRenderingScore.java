package io.inkflow.inference.reward;

import java.util.List;

/**
 * How well an image renders its glyph text, by Seedream's metrics over Unicode code points.
 *
 * @param head the head that read the text: {@code ppocr} or {@code mini}
 * @param target the expected text (glyph texts joined by spaces)
 * @param recognized what the OCR head read (its lines joined by newlines)
 * @param accuracy R_a = max(0, 1 - edit distance / target length), over all requested texts
 * @param hitRate R_h = requested characters found / requested characters
 * @param available whether every requested text reached the pack's availability threshold
 * @param availabilityThreshold that threshold (R_a per requested text)
 * @param lines the lines read, in reading order (the mini head reads one)
 * @param texts each requested text and its best match among the lines read (empty for the mini head,
 *     which reads one string and scores it as a whole)
 */
public record TextRenderingScore(String head, String target, String recognized, double accuracy, double hitRate,
    boolean available, double availabilityThreshold, List<String> lines, List<TextMatch> texts) {
  public static final String PPOCR = "ppocr";
  public static final String MINI = "mini";

  public TextRenderingScore {
    lines = List.copyOf(lines);
    texts = List.copyOf(texts);
  }

  /**
   * The mini head's whole-string score, with no per-text matches; not yet judged for availability
   * ({@link #withAvailability}).
   */
  public TextRenderingScore(String target, String recognized, double accuracy, double hitRate) {
    this(MINI, target, recognized, accuracy, hitRate, false, 1.0, recognized.isEmpty() ? List.of() : List.of(recognized),
        List.of());
  }

  /** The same score, judged available when R_a is at least {@code threshold}. */
  public TextRenderingScore withAvailability(double threshold) {
    return new TextRenderingScore(head, target, recognized, accuracy, hitRate, accuracy >= threshold, threshold, lines,
        texts);
  }

  /** Whether the OCR read no text at all. */
  public boolean nothingRead() {
    return lines.stream().allMatch(String::isBlank);
  }

  /**
   * One requested text and where it was found.
   *
   * @param requested the text asked for (NFKC, without whitespace)
   * @param matched the stretch of the lines read that matches it best (NFKC, without whitespace)
   * @param accuracy 1 - edit distance / requested length, floored at 0
   * @param hitRate requested characters matched in order / requested length
   */
  public record TextMatch(String requested, String matched, double accuracy, double hitRate) {}
}
