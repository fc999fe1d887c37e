package io.inkflow.inference.pack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The manifest ({@code pack.json}) of a {@code reward} pack: three scoring graphs over an image
 * resized to {@code imageSize}, the weights that combine their scores into one overall score, and
 * the thresholds a scorer judges them by.
 *
 * @param dir the pack folder (absolute)
 * @param id pack id
 * @param version pack version
 * @param family always {@value #FAMILY}
 * @param description free text
 * @param precision float precision of the graphs' inputs and outputs
 * @param tokenizer the prompt tokenizer of the alignment head
 * @param image input size and normalisation
 * @param textRendering which head reads glyph text, and when a text counts as available
 * @param weights how the overall score weighs each score
 * @param thresholds minimum acceptable scores
 * @param graphs {@value #AESTHETIC}, {@value #ALIGNMENT}, {@value #TEXT_RENDERING}
 */
public record RewardPackManifest(Path dir, String id, String version, String family, String description,
    Precision precision, TokenizerSpec tokenizer, ImageSpec image, TextRenderingSpec textRendering, Weights weights,
    Thresholds thresholds, Map<String, GraphSpec> graphs) {

  public static final String FAMILY = "reward";
  public static final String AESTHETIC = "aesthetic";
  public static final String ALIGNMENT = "alignment";
  public static final String TEXT_RENDERING = "textRendering";

  public RewardPackManifest {
    graphs = Map.copyOf(graphs);
  }

  /**
   * How images are prepared: area-resized to size x size (aspect not kept, so drawn text stays in
   * frame), levels scaled to [0, 1], then {@code (v - mean[c]) / std[c]}.
   *
   * @param size side in pixels
   * @param mean per-channel mean (RGB)
   * @param std per-channel standard deviation (RGB)
   */
  public record ImageSpec(int size, List<Float> mean, List<Float> std) {
    public ImageSpec {
      mean = List.copyOf(mean);
      std = List.copyOf(std);
    }
  }

  /** The heads that can score text rendering. */
  public enum TextHead {
    /** The pack's own {@value #TEXT_RENDERING} graph: one ByT5 string per image, decoded greedily. */
    MINI("mini"),
    /** PaddleOCR's PP-OCRv4 (detection + recognition), from the directory {@code INKFLOW_OCR_MODELS} names. */
    PPOCR("ppocr");

    private final String json;

    TextHead(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }

  /**
   * The text-rendering head.
   *
   * @param head which head reads the text
   * @param maxChars OCR positions of the mini head (0 for PP-OCR)
   * @param availability the R_a each requested text must reach for the image's text to count as available
   */
  public record TextRenderingSpec(TextHead head, int maxChars, double availability) {}

  /** OCR positions of the mini text-rendering head. */
  public int maxChars() {
    return textRendering.maxChars();
  }

  /**
   * Weights of the overall score, a weighted mean over the scores an image has (text rendering
   * only when it has glyph text).
   */
  public record Weights(double aesthetic, double alignment, double textRendering) {}

  /** Minimum acceptable scores; a scorer flags an image below any of them. */
  public record Thresholds(double aesthetic, double alignment, double textRendering, double overall) {}

  /**
   * Reads and validates a reward pack's manifest (no session is created).
   *
   * @param packDir the pack folder, or its {@code pack.json}
   */
  public static RewardPackManifest read(Path packDir) {
    ManifestJson json = ManifestJson.read(packDir, FAMILY);
    Precision precision;
    try {
      precision = Precision.parse(json.text("precision"));
    } catch (IllegalArgumentException e) {
      throw json.error("precision", e.getMessage());
    }
    ManifestJson img = json.object("image");
    double[] mean = img.numbers("mean", 3);
    double[] std = img.numbers("std", 3);
    for (double s : std) {
      if (!(s > 0)) {
        throw img.error("std", "expected positive numbers, found " + s);
      }
    }
    ImageSpec image = new ImageSpec(img.positiveInt("size"), floats(mean), floats(std));
    ManifestJson text = json.object("textRendering");
    String headName = text.text("head", TextHead.MINI.json());
    TextHead head = null;
    for (TextHead h : TextHead.values()) {
      if (h.json().equals(headName)) {
        head = h;
      }
    }
    if (head == null) {
      throw text.error("head", "expected 'mini' or 'ppocr', found '" + headName + "'");
    }
    int maxChars = 0;
    if (head == TextHead.MINI) {
      String decoder = text.text("decoder");
      if (!decoder.equals("byt5-greedy")) {
        throw text.error("decoder", "expected 'byt5-greedy', found '" + decoder + "'");
      }
      maxChars = text.positiveInt("maxChars");
    }
    ManifestJson w = json.object("weights");
    Weights weights = new Weights(nonNegative(w, "aesthetic"), nonNegative(w, "alignment"),
        nonNegative(w, "textRendering"));
    if (weights.aesthetic() + weights.alignment() <= 0) {
      throw json.error("weights", "expected aesthetic + alignment > 0, found " + weights);
    }
    ManifestJson t = json.object("thresholds");
    Thresholds thresholds = new Thresholds(t.number("aesthetic"), t.number("alignment"),
        t.number("textRendering"), t.number("overall"));
    double availability = text.number("availability", thresholds.textRendering());
    if (!(availability >= 0 && availability <= 1)) {
      throw text.error("availability", "expected a number in [0, 1], found " + availability);
    }
    Map<String, GraphSpec> graphs = json.graphs();
    for (String key : head == TextHead.MINI ? List.of(AESTHETIC, ALIGNMENT, TEXT_RENDERING) : List.of(AESTHETIC, ALIGNMENT)) {
      if (!graphs.containsKey(key)) {
        throw json.error("graphs", "expected a graph '" + key + "', found " + graphs.keySet());
      }
    }
    PackManifest.checkPrecision(json, precision, graphs);
    return new RewardPackManifest(json.dir(), json.text("id"), json.text("version"), FAMILY,
        json.text("description", ""), precision, TokenizerSpec.read(json.object("tokenizer")), image,
        new TextRenderingSpec(head, maxChars, availability), weights, thresholds, graphs);
  }

  /** The graph with this role. */
  public GraphSpec graph(String key) {
    GraphSpec g = graphs.get(key);
    if (g == null) {
      throw new PackException("pack " + id + ": expected a graph '" + key + "', found " + graphs.keySet());
    }
    return g;
  }

  private static double nonNegative(ManifestJson json, String field) {
    double v = json.number(field);
    if (!(v >= 0)) {
      throw json.error(field, "expected a non-negative number, found " + v);
    }
    return v;
  }

  private static List<Float> floats(double[] values) {
    Float[] out = new Float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return List.of(out);
  }
}
