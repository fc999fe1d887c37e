package io.inkflow.inference.pack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The manifest ({@code pack.json}) of a {@code reward} pack: which model scores aesthetics, alignment and text
 * rendering, the weights that combine their scores into one overall score, and the thresholds a scorer judges them
 * by.
 *
 * <p>Each head is either the pack's own graph over an image resized to {@code image.size} (the default) or a public
 * model: alignment may be a CLIP export folder inside the pack (PickScore, HPS v2: the cosine of its image and text
 * embeddings), aesthetic an MLP over such an export's image embedding (the LAION aesthetic predictor), text rendering
 * PP-OCR or nothing. {@code image} and {@code tokenizer} are required only when an own graph needs them.
 *
 * @param dir the pack folder (absolute)
 * @param id pack id
 * @param version pack version
 * @param family always {@value #FAMILY}
 * @param description free text
 * @param precision float precision of the own graphs' inputs and outputs
 * @param tokenizer the prompt tokenizer of the own alignment graph; null when alignment is a CLIP export
 * @param image input size and normalisation of the own graphs; null when no own graph reads pixels
 * @param aesthetic which head scores aesthetics
 * @param alignment which head scores alignment
 * @param textRendering which head reads glyph text, and when a text counts as available
 * @param weights how the overall score weighs each score
 * @param thresholds minimum acceptable scores
 * @param graphs the own graphs: {@value #AESTHETIC} (pixels, or the CLIP MLP), {@value #ALIGNMENT},
 *     {@value #TEXT_RENDERING}, as the heads need them
 */
public record RewardPackManifest(Path dir, String id, String version, String family, String description,
    Precision precision, TokenizerSpec tokenizer, ImageSpec image, AestheticSpec aesthetic, AlignmentSpec alignment,
    TextRenderingSpec textRendering, Weights weights, Thresholds thresholds, Map<String, GraphSpec> graphs) {

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
    PPOCR("ppocr"),
    /** None: glyph text is not scored, and the overall score never includes text rendering. */
    NONE("none");

    private final String json;

    TextHead(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }

  /** The heads that can score aesthetics. */
  public enum AestheticKind {
    /** The pack's own {@value #AESTHETIC} graph: pixels [N, 3, S, S] to a score in (0, 1). */
    GRAPH("graph"),
    /**
     * The LAION aesthetic predictor's shape: the pack's {@value #AESTHETIC} graph is an MLP from a CLIP export's
     * L2-normalised {@code image_embeds} [N, P] to {@code aesthetic} [N, 1], mapped by the score map.
     */
    CLIP_MLP("clip-mlp");

    private final String json;

    AestheticKind(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }

  /** The heads that can score alignment. */
  public enum AlignmentKind {
    /** The pack's own {@value #ALIGNMENT} graph: pixels and prompt ids to a score in (0, 1). */
    GRAPH("graph"),
    /** A CLIP export: the cosine of its image and text embeddings, times the logit scale, mapped by the score map. */
    CLIP("clip");

    private final String json;

    AlignmentKind(String json) {
      this.json = json;
    }

    public String json() {
      return json;
    }
  }

  /**
   * The aesthetic head.
   *
   * @param head which head
   * @param export for {@link AestheticKind#CLIP_MLP}: the CLIP export folder, relative to the pack, whose image
   *     embeddings the MLP reads (the alignment head's, to embed each image once, or another one); else null
   * @param scoreMap for {@link AestheticKind#CLIP_MLP}: the MLP's rating to [0, 1]; else null
   */
  public record AestheticSpec(AestheticKind head, String export, ScoreMap scoreMap) {
    /** The own-graph head. */
    public static final AestheticSpec GRAPH = new AestheticSpec(AestheticKind.GRAPH, null, null);
  }

  /**
   * The alignment head.
   *
   * @param head which head
   * @param export for {@link AlignmentKind#CLIP}: the CLIP export folder, relative to the pack; else null
   * @param logitScale for {@link AlignmentKind#CLIP}: what the cosine is multiplied by before the score map (the
   *     model's {@code logit_scale.exp()}, 100 for PickScore; 1 scores the plain cosine, as HPS v2 does)
   * @param scoreMap for {@link AlignmentKind#CLIP}: the scaled cosine to [0, 1]; else null
   */
  public record AlignmentSpec(AlignmentKind head, String export, double logitScale, ScoreMap scoreMap) {
    /** The own-graph head. */
    public static final AlignmentSpec GRAPH = new AlignmentSpec(AlignmentKind.GRAPH, null, 1.0, null);
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
    AestheticSpec aesthetic = json.has(AESTHETIC) ? readAesthetic(json) : AestheticSpec.GRAPH;
    AlignmentSpec alignment = json.has(ALIGNMENT) ? readAlignment(json) : AlignmentSpec.GRAPH;
    ManifestJson text = json.object("textRendering");
    String headName = text.text("head", TextHead.MINI.json());
    TextHead head = null;
    for (TextHead h : TextHead.values()) {
      if (h.json().equals(headName)) {
        head = h;
      }
    }
    if (head == null) {
      throw text.error("head", "expected 'mini', 'ppocr' or 'none', found '" + headName + "'");
    }
    int maxChars = 0;
    if (head == TextHead.MINI) {
      String decoder = text.text("decoder");
      if (!decoder.equals("byt5-greedy")) {
        throw text.error("decoder", "expected 'byt5-greedy', found '" + decoder + "'");
      }
      maxChars = text.positiveInt("maxChars");
    }
    boolean ownPixels = aesthetic.head() == AestheticKind.GRAPH || alignment.head() == AlignmentKind.GRAPH
        || head == TextHead.MINI;
    ImageSpec image = ownPixels || json.has("image") ? readImage(json) : null;
    TokenizerSpec tokenizer = alignment.head() == AlignmentKind.GRAPH || json.has("tokenizer")
        ? TokenizerSpec.read(json.object("tokenizer")) : null;
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
    List<String> required = new ArrayList<>(List.of(AESTHETIC));
    if (alignment.head() == AlignmentKind.GRAPH) {
      required.add(ALIGNMENT);
    }
    if (head == TextHead.MINI) {
      required.add(TEXT_RENDERING);
    }
    for (String key : required) {
      if (!graphs.containsKey(key)) {
        throw json.error("graphs", "expected a graph '" + key + "', found " + graphs.keySet());
      }
    }
    PackManifest.checkPrecision(json, precision, graphs);
    return new RewardPackManifest(json.dir(), json.text("id"), json.text("version"), FAMILY,
        json.text("description", ""), precision, tokenizer, image, aesthetic, alignment,
        new TextRenderingSpec(head, maxChars, availability), weights, thresholds, graphs);
  }

  private static ImageSpec readImage(ManifestJson json) {
    ManifestJson img = json.object("image");
    double[] mean = img.numbers("mean", 3);
    double[] std = img.numbers("std", 3);
    for (double s : std) {
      if (!(s > 0)) {
        throw img.error("std", "expected positive numbers, found " + s);
      }
    }
    return new ImageSpec(img.positiveInt("size"), floats(mean), floats(std));
  }

  private static AestheticSpec readAesthetic(ManifestJson json) {
    ManifestJson section = json.object(AESTHETIC);
    String name = section.text("head", AestheticKind.GRAPH.json());
    if (name.equals(AestheticKind.GRAPH.json())) {
      rejectClipFields(section, name, "export", "scoreMap");
      return AestheticSpec.GRAPH;
    }
    if (!name.equals(AestheticKind.CLIP_MLP.json())) {
      throw section.error("head", "expected 'graph' or 'clip-mlp', found '" + name + "'");
    }
    return new AestheticSpec(AestheticKind.CLIP_MLP, exportFolder(json, section), ScoreMap.read(section));
  }

  private static AlignmentSpec readAlignment(ManifestJson json) {
    ManifestJson section = json.object(ALIGNMENT);
    String name = section.text("head", AlignmentKind.GRAPH.json());
    if (name.equals(AlignmentKind.GRAPH.json())) {
      rejectClipFields(section, name, "export", "logitScale", "scoreMap");
      return AlignmentSpec.GRAPH;
    }
    if (!name.equals(AlignmentKind.CLIP.json())) {
      throw section.error("head", "expected 'graph' or 'clip', found '" + name + "'");
    }
    double scale = section.number("logitScale", 1.0);
    if (!(scale > 0) || !Double.isFinite(scale)) {
      throw section.error("logitScale", "expected a positive number (the model's logit_scale.exp(), or 1 for the"
          + " plain cosine), found " + scale);
    }
    return new AlignmentSpec(AlignmentKind.CLIP, exportFolder(json, section), scale, ScoreMap.read(section));
  }

  /** An own-graph head's section carries none of the CLIP heads' fields: a stray one is a mistake, not a no-op. */
  private static void rejectClipFields(ManifestJson section, String head, String... fields) {
    for (String field : fields) {
      if (section.has(field)) {
        throw section.error(field, "expected no '" + field + "' for head '" + head
            + "' (its own graph scores in (0, 1)), found one");
      }
    }
  }

  private static String exportFolder(ManifestJson json, ManifestJson section) {
    String folder = section.text("export");
    Path resolved = json.dir().resolve(folder).normalize();
    if (folder.isBlank() || !resolved.startsWith(json.dir().normalize()) || resolved.equals(json.dir().normalize())) {
      throw section.error("export", "expected a folder inside the pack folder, found '" + folder + "'");
    }
    return folder;
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
