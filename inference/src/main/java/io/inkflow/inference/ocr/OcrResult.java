package io.inkflow.inference.ocr;

import java.util.List;

/**
 * What an OCR pass read from one image, and where its time went.
 *
 * @param lines lines top to bottom, then left to right (PaddleOCR's reading order)
 * @param detectNanos preprocessing and the detection graph
 * @param postprocessNanos DB post-processing: threshold, components, boxes, scores, unclip
 * @param recognizeNanos cropping, the recognition graph and CTC decoding
 */
public record OcrResult(List<OcrLine> lines, long detectNanos, long postprocessNanos, long recognizeNanos) {

  public OcrResult {
    lines = List.copyOf(lines);
  }

  /** The lines' texts, in reading order. */
  public List<String> texts() {
    return lines.stream().map(OcrLine::text).toList();
  }
}
