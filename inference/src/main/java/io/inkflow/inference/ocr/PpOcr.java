package io.inkflow.inference.ocr;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TensorSpec;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.InferenceException;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.runtime.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PaddleOCR's PP-OCRv4 system on ONNX Runtime, with the defaults of PaddleOCR's {@code TextSystem}:
 * DB text detection on the image scaled so its longer side is at most 960 pixels and both sides are
 * multiples of 32, the DB post-process, each box cropped upright, recognition in batches of six crops
 * of similar shape at a height of 48 with CTC greedy decoding, and lines under a confidence of 0.5
 * dropped. PaddleOCR feeds OpenCV's BGR images to both graphs; so does this class. The optional angle
 * classifier is not run (PaddleOCR's default, {@code use_angle_cls=False}).
 *
 * <p>Thread-safe; owns its two sessions.
 */
public final class PpOcr implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PpOcr.class);
  static final int LIMIT_SIDE = 960;
  static final int REC_HEIGHT = 48;
  static final int REC_MIN_WIDTH = 320;
  static final int REC_BATCH = 6;
  static final double DROP_SCORE = 0.5;
  private static final float[] DET_MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] DET_STD = {0.229f, 0.224f, 0.225f};

  private final GraphSession detector;
  private final GraphSession recognizer;
  private final String detOutput;
  private final String recOutput;
  private final CtcDictionary dictionary;

  private PpOcr(GraphSession detector, GraphSession recognizer, String detOutput, String recOutput,
      CtcDictionary dictionary) {
    this.detector = detector;
    this.recognizer = recognizer;
    this.detOutput = detOutput;
    this.recOutput = recOutput;
    this.dictionary = dictionary;
  }

  /**
   * Loads the detector and recogniser.
   *
   * @throws PackException when a graph does not look like PP-OCR's, or the recogniser's class count
   *     is not the dictionary's entries + 2 (blank first, space last)
   */
  public static PpOcr open(OcrModels models, SessionOptionsConfig config) {
    SessionFactory factory = new SessionFactory(config);
    CtcDictionary dictionary = CtcDictionary.read(models.dictionary());
    GraphSession det = GraphSession.openDiscovered(factory, "ppocr/det", models.detection());
    GraphSession rec = null;
    try {
      det.requireInput("x", Set.of(TensorType.FLOAT32), Set.of(4));
      String detOut = single(det, 4);
      rec = GraphSession.openDiscovered(factory, "ppocr/rec", models.recognition());
      rec.requireInput("x", Set.of(TensorType.FLOAT32), Set.of(4));
      String recOut = single(rec, 3);
      TensorSpec out = rec.spec().output(recOut).orElseThrow();
      long classes = out.shape().get(2).isFixed() ? out.shape().get(2).size() : -1;
      if (classes != dictionary.classes()) {
        throw new PackException("ppocr/rec: expected " + dictionary.classes() + " classes (" + (dictionary.classes() - 2)
            + " entries of " + models.dictionary() + " + blank + space), found " + out.shape().get(2) + " in "
            + models.recognition());
      }
      LOG.info("loaded PP-OCRv4 ({} classes) on {}", classes, factory.provider());
      return new PpOcr(det, rec, detOut, recOut, dictionary);
    } catch (RuntimeException e) {
      if (rec != null) {
        rec.close();
      }
      det.close();
      throw e;
    }
  }

  private static String single(GraphSession graph, int rank) {
    List<TensorSpec> outputs = graph.spec().outputs();
    if (outputs.size() != 1 || outputs.get(0).type() != TensorType.FLOAT32 || outputs.get(0).shape().size() != rank) {
      throw new PackException(graph.label() + ": expected one float32 output of rank " + rank + ", found " + outputs);
    }
    return outputs.get(0).name();
  }

  /**
   * Reads every line of text in {@code image}.
   *
   * @throws InferenceException when ONNX Runtime fails
   */
  public OcrResult read(RgbImage image) {
    try {
      return readLines(image);
    } catch (OrtException e) {
      throw new InferenceException("PP-OCR failed on a " + image.width() + "x" + image.height() + " image: "
          + e.getMessage(), e);
    }
  }

  private OcrResult readLines(RgbImage image) throws OrtException {
    long t0 = System.nanoTime();
    int[] size = detectionSize(image.width(), image.height());
    RgbImage scaled = OcrImages.resize(image, size[0], size[1]);
    float[] prob = detect(scaled);
    long t1 = System.nanoTime();
    List<Quad> boxes = new ArrayList<>();
    for (DbPostProcess.Box b : DbPostProcess.boxes(prob, size[0], size[1], image.width(), image.height())) {
      Quad q = clip(b.quad().clockwise(), image.width(), image.height());
      if ((int) q.side(0, 1) > 3 && (int) q.side(0, 3) > 3) {
        boxes.add(q);
      }
    }
    boxes = readingOrder(boxes);
    long t2 = System.nanoTime();
    List<OcrLine> lines = recognize(image, boxes);
    long t3 = System.nanoTime();
    return new OcrResult(lines, t1 - t0, t2 - t1, t3 - t2);
  }

  /** {@code DetResizeForTest} with {@code limit_type=max}: the longer side at most 960, both rounded to multiples of 32. */
  static int[] detectionSize(int width, int height) {
    double ratio = Math.max(width, height) > LIMIT_SIDE ? (double) LIMIT_SIDE / Math.max(width, height) : 1.0;
    int w = (int) (width * ratio);
    int h = (int) (height * ratio);
    return new int[] {Math.max((int) Math.rint(w / 32.0) * 32, 32), Math.max((int) Math.rint(h / 32.0) * 32, 32)};
  }

  private float[] detect(RgbImage scaled) throws OrtException {
    int w = scaled.width();
    int h = scaled.height();
    int plane = w * h;
    float[] x = new float[3 * plane];
    byte[] rgb = scaled.rgb();
    for (int i = 0; i < plane; i++) {
      for (int c = 0; c < 3; c++) {
        // Channel c of the BGR image is RGB channel 2 - c, normalised with PaddleOCR's c-th mean and std.
        x[c * plane + i] = ((rgb[i * 3 + 2 - c] & 0xFF) / 255f - DET_MEAN[c]) / DET_STD[c];
      }
    }
    try (OnnxTensor input = Tensors.floats(detector.environment(), x, new long[] {1, 3, h, w}, TensorType.FLOAT32);
        OrtSession.Result result = detector.run(Map.of("x", input))) {
      float[] prob = Tensors.toFloats(result.get(detOutput).orElseThrow());
      if (prob.length != plane) {
        throw new IllegalStateException("ppocr/det: expected a " + w + "x" + h + " probability map, found "
            + prob.length + " values");
      }
      return prob;
    }
  }

  private static Quad clip(Quad q, int width, int height) {
    double[] xy = q.xy.clone();
    for (int i = 0; i < 4; i++) {
      xy[2 * i] = DbPostProcess.clamp(Math.rint(xy[2 * i]), 0, width - 1);
      xy[2 * i + 1] = DbPostProcess.clamp(Math.rint(xy[2 * i + 1]), 0, height - 1);
    }
    return new Quad(xy);
  }

  /**
   * Reading order: boxes grouped into rows, rows top to bottom, boxes left to right within a row. A box
   * joins a row when their vertical extents overlap by at least half the lower of the two heights.
   * PaddleOCR's {@code sorted_boxes} instead compares top-left corners within 10 pixels, which puts the
   * right half of a slightly rotated large line (its top-left corner higher by more than 10 pixels)
   * before its left half; inkflow's text metrics join lines in reading order, so rows are taken by overlap.
   */
  static List<Quad> readingOrder(List<Quad> boxes) {
    List<Quad> byCentre = new ArrayList<>(boxes);
    byCentre.sort(Comparator.comparingDouble(q -> (top(q) + bottom(q)) / 2));
    List<List<Quad>> rows = new ArrayList<>();
    List<double[]> extents = new ArrayList<>();
    for (Quad q : byCentre) {
      int row = -1;
      for (int r = 0; r < rows.size() && row < 0; r++) {
        double[] e = extents.get(r);
        double overlap = Math.min(e[1], bottom(q)) - Math.max(e[0], top(q));
        if (overlap >= 0.5 * Math.min(e[1] - e[0], bottom(q) - top(q))) {
          row = r;
        }
      }
      if (row < 0) {
        rows.add(new ArrayList<>());
        extents.add(new double[] {top(q), bottom(q)});
        row = rows.size() - 1;
      }
      rows.get(row).add(q);
      double[] e = extents.get(row);
      e[0] = Math.min(e[0], top(q));
      e[1] = Math.max(e[1], bottom(q));
    }
    List<Quad> ordered = new ArrayList<>(boxes.size());
    for (List<Quad> row : rows) {
      row.sort(Comparator.comparingDouble(PpOcr::left));
      ordered.addAll(row);
    }
    return ordered;
  }

  private static double top(Quad q) {
    return Math.min(Math.min(q.y(0), q.y(1)), Math.min(q.y(2), q.y(3)));
  }

  private static double bottom(Quad q) {
    return Math.max(Math.max(q.y(0), q.y(1)), Math.max(q.y(2), q.y(3)));
  }

  private static double left(Quad q) {
    return Math.min(Math.min(q.x(0), q.x(1)), Math.min(q.x(2), q.x(3)));
  }

  private List<OcrLine> recognize(RgbImage image, List<Quad> boxes) throws OrtException {
    int n = boxes.size();
    RgbImage[] crops = new RgbImage[n];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      crops[i] = OcrImages.cropQuad(image, boxes.get(i));
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> (double) crops[i].width() / crops[i].height()));
    CtcDictionary.Decoded[] decoded = new CtcDictionary.Decoded[n];
    for (int start = 0; start < n; start += REC_BATCH) {
      int end = Math.min(n, start + REC_BATCH);
      double maxRatio = (double) REC_MIN_WIDTH / REC_HEIGHT;
      for (int k = start; k < end; k++) {
        maxRatio = Math.max(maxRatio, (double) crops[order[k]].width() / crops[order[k]].height());
      }
      int width = (int) (REC_HEIGHT * maxRatio);
      int rows = end - start;
      int plane = REC_HEIGHT * width;
      float[] x = new float[rows * 3 * plane];
      for (int k = start; k < end; k++) {
        fillRecognizerInput(crops[order[k]], width, x, (k - start) * 3 * plane);
      }
      try (OnnxTensor input = Tensors.floats(recognizer.environment(), x, new long[] {rows, 3, REC_HEIGHT, width},
          TensorType.FLOAT32);
          OrtSession.Result result = recognizer.run(Map.of("x", input))) {
        OnnxTensor out = (OnnxTensor) result.get(recOutput).orElseThrow();
        long[] shape = out.getInfo().getShape();
        float[] probs = Tensors.toFloats(out);
        int steps = (int) shape[1];
        for (int k = start; k < end; k++) {
          decoded[order[k]] = dictionary.decode(probs, (k - start) * steps * dictionary.classes(), steps);
        }
      }
    }
    List<OcrLine> lines = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (decoded[i].confidence() >= DROP_SCORE) {
        List<Double> box = new ArrayList<>(8);
        for (double v : boxes.get(i).xy) {
          box.add(v);
        }
        lines.add(new OcrLine(decoded[i].text(), decoded[i].confidence(), box));
      }
    }
    return lines;
  }

  /** {@code resize_norm_img}: height 48, width ceil(48 * aspect) up to the batch's width, [-1, 1], BGR, zero padding. */
  private static void fillRecognizerInput(RgbImage crop, int width, float[] x, int offset) {
    double ratio = (double) crop.width() / crop.height();
    int resized = (int) Math.min(width, Math.ceil(REC_HEIGHT * ratio));
    RgbImage scaled = OcrImages.resize(crop, resized, REC_HEIGHT);
    byte[] rgb = scaled.rgb();
    int plane = REC_HEIGHT * width;
    for (int y = 0; y < REC_HEIGHT; y++) {
      for (int xx = 0; xx < resized; xx++) {
        int p = (y * resized + xx) * 3;
        for (int c = 0; c < 3; c++) {
          x[offset + c * plane + y * width + xx] = ((rgb[p + 2 - c] & 0xFF) / 255f - 0.5f) / 0.5f;
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      recognizer.close();
    } finally {
      detector.close();
    }
  }
}
