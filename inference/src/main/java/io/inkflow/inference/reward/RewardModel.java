package io.inkflow.inference.reward;

import ai.onnxruntime.OrtException;
import io.inkflow.inference.image.ImageResize;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.inference.runtime.InferenceException;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.text.PackTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
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
 */
public final class RewardModel implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RewardModel.class);

  private final RewardPackManifest pack;
  private final SessionFactory factory;
  private final PackTokenizer tokenizer;
  private final AestheticHead aesthetic;
  private final AlignmentHead alignment;
  private final TextRenderingHead textRendering;

  private RewardModel(RewardPackManifest pack, SessionFactory factory, PackTokenizer tokenizer,
      AestheticHead aesthetic, AlignmentHead alignment, TextRenderingHead textRendering) {
    this.pack = pack;
    this.factory = factory;
    this.tokenizer = tokenizer;
    this.aesthetic = aesthetic;
    this.alignment = alignment;
    this.textRendering = textRendering;
  }

  /**
   * Loads a reward pack.
   *
   * @throws io.inkflow.inference.pack.PackException when it is missing, malformed or does not match
   *     its manifest; anything opened before the failure is closed
   */
  public static RewardModel open(Path packDir, SessionOptionsConfig config) {
    RewardPackManifest pack = RewardPackManifest.read(packDir);
    SessionFactory factory = new SessionFactory(config);
    List<AutoCloseable> built = new ArrayList<>();
    try {
      PackTokenizer tokenizer = add(built, PackTokenizer.open(pack.tokenizer(), pack.dir()));
      AestheticHead a = add(built, AestheticHead.open(factory, pack));
      AlignmentHead al = add(built, AlignmentHead.open(factory, pack));
      TextRenderingHead t = add(built, TextRenderingHead.open(factory, pack));
      LOG.info("loaded reward pack {} {} on {}", pack.id(), pack.version(), factory.provider());
      return new RewardModel(pack, factory, tokenizer, a, al, t);
    } catch (RuntimeException e) {
      Collections.reverse(built);
      for (AutoCloseable c : built) {
        try {
          c.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
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
    int plane = 3 * pack.image().size() * pack.image().size();
    float[] pixels = new float[n * plane];
    for (int i = 0; i < n; i++) {
      System.arraycopy(preprocess(inputs.get(i)), 0, pixels, i * plane, plane);
    }
    float[] aestheticScores = aesthetic.score(pixels, n);

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
    float[] pairPixels = new float[prompts.size() * plane];
    for (int p = 0; p < prompts.size(); p++) {
      System.arraycopy(pixels, promptImage.get(p) * plane, pairPixels, p * plane, plane);
    }
    float[] alignmentScores = alignment.score(pairPixels, tokenizer.encodeBatch(prompts));

    List<Integer> withText = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (!inputs.get(i).glyphTarget().isEmpty()) {
        withText.add(i);
      }
    }
    List<String> recognized = List.of();
    if (!withText.isEmpty()) {
      float[] textPixels = new float[withText.size() * plane];
      for (int k = 0; k < withText.size(); k++) {
        System.arraycopy(pixels, withText.get(k) * plane, textPixels, k * plane, plane);
      }
      recognized = textRendering.read(textPixels, withText.size());
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
        text = Optional.of(TextMetrics.score(recognized.get(textRow++), input.glyphTarget()));
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

  /** Resizes and normalises an image as the pack expects: planar [3, S, S]. */
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

  /** Closes the text-rendering, alignment and aesthetic heads and the tokenizer, in that order. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (AutoCloseable c : List.<AutoCloseable>of(textRendering, alignment, aesthetic, tokenizer)) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
