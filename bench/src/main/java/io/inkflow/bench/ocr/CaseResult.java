package io.inkflow.bench.ocr;

import io.inkflow.inference.ocr.OcrResult;
import java.util.List;

/**
 * One case read and scored.
 *
 * @param spec what was drawn
 * @param width image width in pixels
 * @param height image height in pixels
 * @param lines the lines read, in reading order
 * @param truth the truth, normalised ({@link OcrScore#normalize})
 * @param read the lines joined without separators, normalised
 * @param exact whether {@code read} equals {@code truth}
 * @param accuracyRate R_a of {@code read} against {@code truth}
 * @param detectNanos the reader's detection time
 * @param postprocessNanos the reader's DB post-processing time
 * @param recognizeNanos the reader's recognition time
 */
public record CaseResult(TextSpec spec, int width, int height, List<String> lines, String truth, String read,
    boolean exact, double accuracyRate, long detectNanos, long postprocessNanos, long recognizeNanos) {

  public CaseResult {
    lines = List.copyOf(lines);
  }

  /** Scores what a reader made of a case. */
  public static CaseResult score(TextCase textCase, OcrResult result) {
    String truth = OcrScore.normalize(textCase.spec().truth());
    String read = OcrScore.joined(result.texts());
    return new CaseResult(textCase.spec(), textCase.image().width(), textCase.image().height(), result.texts(), truth,
        read, truth.equals(read), OcrScore.accuracyRate(truth, read), result.detectNanos(), result.postprocessNanos(),
        result.recognizeNanos());
  }
}
