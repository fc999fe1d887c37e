package io.inkflow.streams.scoring;

import io.inkflow.avro.RewardScore;
import io.inkflow.avro.TextMatch;
import io.inkflow.avro.TextRenderingMetrics;
import io.inkflow.avro.Verdict;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.inference.reward.TextRenderingScore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a reward pack's raw scores into the overall score, a verdict and its reasons: a pure function
 * of the scores, the weights and the thresholds.
 *
 * <p>The overall score is the weighted mean of the scores an image has: aesthetic, alignment (the lower
 * of the rewritten- and original-prompt alignments when both exist) and text-rendering accuracy (only
 * when the image has glyph text). An image below any threshold is a BAD_CASE, with one reason per
 * threshold it missed; an image asked to show text on which the OCR read nothing at all says
 * {@value #TEXT_MISSING} rather than {@value #TEXT_UNREADABLE}.
 *
 * @param weights weights of the overall score
 * @param thresholds minimum acceptable scores
 */
public record RewardPolicy(RewardPackManifest.Weights weights, RewardPackManifest.Thresholds thresholds) {
  public static final String LOW_AESTHETIC = "LOW_AESTHETIC";
  public static final String MISALIGNED = "MISALIGNED";
  public static final String TEXT_UNREADABLE = "TEXT_UNREADABLE";
  public static final String TEXT_MISSING = "TEXT_MISSING";
  public static final String LOW_OVERALL = "LOW_OVERALL";

  public static final String AESTHETIC = "aesthetic";
  public static final String ALIGNMENT_REWRITTEN = "alignment_rewritten";
  public static final String ALIGNMENT_ORIGINAL = "alignment_original";
  public static final String TEXT_RENDERING = "text_rendering";
  public static final String TEXT_HIT_RATE = "text_rendering_hit_rate";
  public static final String OVERALL = "overall";

  public RewardPolicy {
    if (weights.aesthetic() < 0 || weights.alignment() < 0 || weights.textRendering() < 0
        || weights.aesthetic() + weights.alignment() <= 0) {
      throw new IllegalArgumentException("expected non-negative weights with aesthetic + alignment > 0, found " + weights);
    }
  }

  /** The policy a reward pack's manifest declares. */
  public static RewardPolicy of(RewardPackManifest manifest) {
    return new RewardPolicy(manifest.weights(), manifest.thresholds());
  }

  /**
   * What the policy concludes about one image.
   *
   * @param scores per-reward scores with the weight each carries in the overall score
   * @param overall the weighted overall score in [0, 1]
   * @param verdict ACCEPTED or BAD_CASE
   * @param reasons why BAD_CASE (empty when ACCEPTED), in a fixed order
   * @param textRendering Seedream's text metrics, or null when the image was not asked to show text
   */
  public record Judgement(List<RewardScore> scores, double overall, Verdict verdict, List<String> reasons,
      TextRenderingMetrics textRendering) {}

  /** Judges one image's scores. */
  public Judgement judge(RewardScores s) {
    double alignment = s.combinedAlignment();
    boolean originalUsed = s.alignmentOriginal().isPresent() && s.alignmentOriginal().getAsDouble() < s.alignment();
    List<RewardScore> scores = new ArrayList<>();
    scores.add(new RewardScore(AESTHETIC, s.aesthetic(), weights.aesthetic()));
    scores.add(new RewardScore(ALIGNMENT_REWRITTEN, s.alignment(), originalUsed ? 0.0 : weights.alignment()));
    s.alignmentOriginal().ifPresent(a -> scores.add(new RewardScore(ALIGNMENT_ORIGINAL, a, originalUsed ? weights.alignment() : 0.0)));
    double sum = weights.aesthetic() * s.aesthetic() + weights.alignment() * alignment;
    double total = weights.aesthetic() + weights.alignment();
    Double text = null;
    if (s.textRendering().isPresent()) {
      text = s.textRendering().get().accuracy();
      scores.add(new RewardScore(TEXT_RENDERING, text, weights.textRendering()));
      scores.add(new RewardScore(TEXT_HIT_RATE, s.textRendering().get().hitRate(), 0.0));
      sum += weights.textRendering() * text;
      total += weights.textRendering();
    }
    double overall = clamp(sum / total);
    List<String> reasons = new ArrayList<>();
    if (s.aesthetic() < thresholds.aesthetic()) {
      reasons.add(LOW_AESTHETIC);
    }
    if (alignment < thresholds.alignment()) {
      reasons.add(MISALIGNED);
    }
    if (text != null && s.textRendering().get().nothingRead()) {
      reasons.add(TEXT_MISSING);
    } else if (text != null && text < thresholds.textRendering()) {
      reasons.add(TEXT_UNREADABLE);
    }
    if (overall < thresholds.overall()) {
      reasons.add(LOW_OVERALL);
    }
    return new Judgement(List.copyOf(scores), overall, reasons.isEmpty() ? Verdict.ACCEPTED : Verdict.BAD_CASE, List.copyOf(reasons),
        s.textRendering().map(RewardPolicy::metrics).orElse(null));
  }

  /** The event's form of a text-rendering score. */
  static TextRenderingMetrics metrics(TextRenderingScore t) {
    return TextRenderingMetrics.newBuilder()
        .setHead(t.head())
        .setAccuracy(t.accuracy())
        .setHitRate(t.hitRate())
        .setAvailable(t.available())
        .setAvailabilityThreshold(t.availabilityThreshold())
        .setLinesRead(t.lines())
        .setTexts(t.texts().stream().map(m -> new TextMatch(m.requested(), m.matched(), m.accuracy(), m.hitRate())).toList())
        .build();
  }

  /** The thresholds by reward name (plus {@value #OVERALL}), as a bad case records them. */
  public Map<String, Double> thresholdMap() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(AESTHETIC, thresholds.aesthetic());
    m.put("alignment", thresholds.alignment());
    m.put(TEXT_RENDERING, thresholds.textRendering());
    m.put(OVERALL, thresholds.overall());
    return m;
  }

  private static double clamp(double v) {
    return Math.max(0.0, Math.min(1.0, v));
  }
}
