package io.inkflow.inference.reward;

import ai.onnxruntime.OrtException;
import io.inkflow.inference.image.ImageResize;
import io.inkflow.inference.ocr.OcrModels;
import io.inkflow.inference.ocr.PpOcr;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.pack.RewardPackManifest.AestheticKind;
import io.inkflow.inference.pack.RewardPackManifest.AlignmentKind;
import io.inkflow.inference.pack.RewardPackManifest.TextHead;
import io.inkflow.inference.runtime.Closeables;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.inference.runtime.InferenceException;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.text.PackTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reward pack: scores images for aesthetics, alignment with their prompts and, when they carry
 * glyph text, how well they render it; then combines the scores by the pack's weights.
 *
 * <p>{@link #score} batches each head: one aesthetic call over all images, one alignment call over
 * every (image, prompt) pair (the original prompt too, when given), one OCR call over the images
 * with glyph text. The model owns one session per head and closes them in reverse order; it is
 * thread-safe.
 *
 * <p>Aesthetic and alignment are the pack's own graphs over its small resized image, or CLIP-based
 * ({@link ClipHeads}): alignment from a CLIP export (PickScore, HPS v2), aesthetic from an MLP over a
 * CLIP export's image embedding (the LAION predictor), their raw scores mapped to [0, 1] by the pack's
 * score maps. Text rendering is read by the head the pack names: its own mini graph (one string per
 * image, scored as a whole against the joined glyph texts), PaddleOCR's PP-OCRv4 (lines read from the
 * image at its own resolution, each requested text matched to them by {@link TextMetrics#matchTexts}),
 * or none.
 */
public final class RewardModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RewardModel.class);

  private final RewardPackManifest pack;
  private final SessionFactory factory;
  private final PackTokenizer tokenizer;
  private final AestheticHead aesthetic;
  private final AlignmentHead alignment;
  private final ClipHeads clip;
  private final TextRenderingHead textRendering;
  private final PpOcr ocr;

  /** Heads the pack does not use are null: the own graphs (and tokenizer) beside CLIP heads, the unused text head. */
  private RewardModel(RewardPackManifest pack, SessionFactory factory, PackTokenizer tokenizer,
      AestheticHead aesthetic, AlignmentHead alignment, ClipHeads clip, TextRenderingHead textRendering, PpOcr ocr) {
    this.pack = pack;
    this.factory = factory;
    this.tokenizer = tokenizer;
    this.aesthetic = aesthetic;
    this.alignment = alignment;
    this.clip = clip;
    this.textRendering = textRendering;
    this.ocr = ocr;
  }

  /**
   * Loads a reward pack.
   *
   * @throws io.inkflow.inference.pack.PackException when it is missing, malformed or does not match
   *     its manifest; anything opened before the failure is closed
   */
  public static RewardModel open(Path packDir, SessionOptionsConfig config) {
    return open(packDir, config, OcrModels.configuredDir());
  }

  /**
   * Loads a reward pack whose PP-OCR head, if it has one, reads its models from {@code ocrModels}.
   *
   * @throws PackException when the pack uses PP-OCR and the directory is not given, or a model file
   *     is missing or differs from its pinned hash (the message names the file and the expected hash)
   */
  public static RewardModel open(Path packDir, SessionOptionsConfig config, Optional<Path> ocrModels) {
    RewardPackManifest pack = RewardPackManifest.read(packDir);
    OcrModels models = null;
    if (pack.textRendering().head() == TextHead.PPOCR) {
      models = OcrModels.verified(ocrModels.orElseThrow(() -> new PackException("reward pack " + pack.id()
          + " scores text with PP-OCR: set " + OcrModels.ENV + " to the directory scripts/models/fetch-ppocr prints")));
    }
    SessionFactory factory = new SessionFactory(config);
    List<AutoCloseable> built = new ArrayList<>();
    try {
      boolean ownAlignment = pack.alignment().head() == AlignmentKind.GRAPH;
      PackTokenizer tokenizer = ownAlignment ? add(built, PackTokenizer.open(pack.tokenizer(), pack.dir())) : null;
      AestheticHead a = pack.aesthetic().head() == AestheticKind.GRAPH ? add(built, AestheticHead.open(factory, pack))
          : null;
      AlignmentHead al = ownAlignment ? add(built, AlignmentHead.open(factory, pack)) : null;
      ClipHeads c = ClipHeads.needed(pack) ? add(built, ClipHeads.open(factory, pack)) : null;
      TextHead head = pack.textRendering().head();
      TextRenderingHead t = head == TextHead.MINI ? add(built, TextRenderingHead.open(factory, pack)) : null;
      PpOcr o = models == null ? null : add(built, PpOcr.open(models, config));
      LOG.info("loaded reward pack {} {} on {} (aesthetic: {}, alignment: {}, text rendering: {})", pack.id(),
          pack.version(), factory.provider(), pack.aesthetic().head().json(), pack.alignment().head().json(),
          head.json());
      return new RewardModel(pack, factory, tokenizer, a, al, c, t, o);
    } catch (RuntimeException e) {
      Collections.reverse(built);
      Closeables.closeAll(built, e);
      throw e;
    }
  }

  private static <T extends AutoCloseable> T add(List<AutoCloseable> built, T stage) {
    built.add(stage);
    return stage;
  }

  public RewardPackManifest manifest() {
    return pack;
  }

  public ExecutionProvider executionProvider() {
    return factory.provider();
  }

  /**
   * Scores a batch of images.
   *
   * @return one result per input, in order
   * @throws InferenceException when ONNX Runtime fails
   */
  public List<RewardScores> score(List<RewardInput> inputs) {
    if (inputs.isEmpty()) {
      return List.of();
    }
    try {
      return scoreBatch(inputs);
    } catch (OrtException e) {
      throw new InferenceException(pack.id() + ": scoring failed for a batch of " + inputs.size() + ": "
          + e.getMessage(), e);
    }
  }

  private List<RewardScores> scoreBatch(List<RewardInput> inputs) throws OrtException {
    int n = inputs.size();
    boolean ownPixels = aesthetic != null || alignment != null || textRendering != null;
    int plane = ownPixels ? 3 * pack.image().size() * pack.image().size() : 0;
    float[] pixels = new float[n * plane];
    for (int i = 0; ownPixels && i < n; i++) {
      System.arraycopy(preprocess(inputs.get(i)), 0, pixels, i * plane, plane);
    }

    List<String> prompts = new ArrayList<>();
    List<Integer> promptImage = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      prompts.add(inputs.get(i).prompt());
      promptImage.add(i);
    }
    for (int i = 0; i < n; i++) {
      if (inputs.get(i).originalPrompt() != null) {
        prompts.add(inputs.get(i).originalPrompt());
        promptImage.add(i);
      }
    }
    ClipHeads.Raw raw = null;
    if (clip != null) {
      List<RgbImage> images = inputs.stream().map(RewardInput::image).toList();
      raw = clip.score(images, prompts, promptImage.stream().mapToInt(Integer::intValue).toArray());
    }
    double[] aestheticScores = new double[n];
    float[] ownAesthetic = aesthetic != null ? aesthetic.score(pixels, n) : null;
    for (int i = 0; i < n; i++) {
      aestheticScores[i] = ownAesthetic != null ? ownAesthetic[i] : pack.aesthetic().scoreMap().apply(raw.aesthetic()[i]);
    }
    float[] ownAlignment = null;
    if (alignment != null) {
      float[] pairPixels = new float[prompts.size() * plane];
      for (int p = 0; p < prompts.size(); p++) {
        System.arraycopy(pixels, promptImage.get(p) * plane, pairPixels, p * plane, plane);
      }
      ownAlignment = alignment.score(pairPixels, tokenizer.encodeBatch(prompts));
    }
    double[] alignmentScores = new double[prompts.size()];
    for (int p = 0; p < prompts.size(); p++) {
      alignmentScores[p] = ownAlignment != null ? ownAlignment[p] : pack.alignment().scoreMap().apply(raw.alignment()[p]);
    }

    List<Integer> withText = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      RewardInput input = inputs.get(i);
      boolean hasText = ocr != null
          ? input.glyphTexts().stream().anyMatch(t -> !TextMetrics.normalize(t).isEmpty())
          : textRendering != null && !input.glyphTarget().isEmpty();
      if (hasText) {
        withText.add(i);
      }
    }
    List<TextRenderingScore> textScores = new ArrayList<>(withText.size());
    double availability = pack.textRendering().availability();
    if (!withText.isEmpty() && ocr != null) {
      for (int i : withText) {
        RewardInput input = inputs.get(i);
        textScores.add(TextMetrics.matchTexts(input.glyphTexts(), ocr.read(input.image()).texts(), availability));
      }
    } else if (!withText.isEmpty()) {
      float[] textPixels = new float[withText.size() * plane];
      for (int k = 0; k < withText.size(); k++) {
        System.arraycopy(pixels, withText.get(k) * plane, textPixels, k * plane, plane);
      }
      List<String> recognized = textRendering.read(textPixels, withText.size());
      for (int k = 0; k < withText.size(); k++) {
        textScores.add(TextMetrics.score(recognized.get(k), inputs.get(withText.get(k)).glyphTarget())
            .withAvailability(availability));
      }
    }

    List<RewardScores> out = new ArrayList<>(n);
    int originalRow = n;
    int textRow = 0;
    for (int i = 0; i < n; i++) {
      RewardInput input = inputs.get(i);
      OptionalDouble original = OptionalDouble.empty();
      if (input.originalPrompt() != null) {
        original = OptionalDouble.of(alignmentScores[originalRow++]);
      }
      Optional<TextRenderingScore> text = Optional.empty();
      if (textRow < withText.size() && withText.get(textRow) == i) {
        text = Optional.of(textScores.get(textRow++));
      }
      out.add(combine(aestheticScores[i], alignmentScores[i], original, text));
    }
    return out;
  }

  /** Builds the scores of one image, computing the overall score by the pack's weights. */
  RewardScores combine(double aestheticScore, double alignmentScore, OptionalDouble original,
      Optional<TextRenderingScore> text) {
    RewardPackManifest.Weights w = pack.weights();
    double align = original.isPresent() ? Math.min(alignmentScore, original.getAsDouble()) : alignmentScore;
    double sum = w.aesthetic() * aestheticScore + w.alignment() * align;
    double weight = w.aesthetic() + w.alignment();
    if (text.isPresent()) {
      sum += w.textRendering() * text.get().accuracy();
      weight += w.textRendering();
    }
    return new RewardScores(aestheticScore, alignmentScore, original, text, sum / weight);
  }

  /** Resizes and normalises an image as the pack's own graphs expect: planar [3, S, S]. */
  float[] preprocess(RewardInput input) {
    RewardPackManifest.ImageSpec spec = pack.image();
    float[] planar = ImageResize.areaToPlanar(input.image(), spec.size());
    int plane = spec.size() * spec.size();
    for (int c = 0; c < 3; c++) {
      float mean = spec.mean().get(c);
      float std = spec.std().get(c);
      for (int i = c * plane; i < (c + 1) * plane; i++) {
        planar[i] = (planar[i] - mean) / std;
      }
    }
    return planar;
  }

  /** Closes the text-rendering head, the CLIP heads, the own alignment and aesthetic heads and the tokenizer. */
  @Override
  public void close() {
    List<AutoCloseable> heads = new ArrayList<>();
    for (AutoCloseable c : Arrays.asList(ocr != null ? ocr : textRendering, clip, alignment, aesthetic, tokenizer)) {
      if (c != null) {
        heads.add(c);
      }
    }
    RuntimeException failure = Closeables.closeAll(heads, null);
    if (failure != null) {
      throw failure;
    }
  }
}
