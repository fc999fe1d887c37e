package io.inkflow.inference.ocr;

import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.runtime.SessionOptionsConfig;

/** PaddleOCR's PP-OCRv4 pipeline on ONNX Runtime: DB text detection, then SVTR recognition with CTC decoding. */
public final class PpOcr implements AutoCloseable {

  private PpOcr() {}

  public static PpOcr open(OcrModels models, SessionOptionsConfig config) {
    throw new UnsupportedOperationException("not yet written");
  }

  /** Reads every line of text in {@code image}. */
  public OcrResult read(RgbImage image) {
    throw new UnsupportedOperationException("not yet written");
  }

  @Override
  public void close() {}
}
