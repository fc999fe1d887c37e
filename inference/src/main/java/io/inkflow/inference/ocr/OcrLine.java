package io.inkflow.inference.ocr;

import java.util.List;

/**
 * One line of text read from an image.
 *
 * @param text the recognised characters, as the dictionary spells them
 * @param confidence the mean probability of the recognised characters (0 for an empty line)
 * @param box the detected quadrilateral in image pixels, clockwise from the top left: x0, y0, ..., x3, y3
 */
public record OcrLine(String text, double confidence, List<Double> box) {

  public OcrLine {
    box = List.copyOf(box);
    if (box.size() != 8) {
      throw new IllegalArgumentException("expected 8 box coordinates, found " + box.size());
    }
  }
}
