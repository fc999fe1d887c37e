package io.inkflow.streams.export;

import io.inkflow.avro.BadCase;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.PreferenceSource;
import io.inkflow.avro.ReviewDecision;
import io.inkflow.avro.RewardScore;
import io.inkflow.avro.ScoredImage;
import io.inkflow.common.Digests;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rows of the exported training datasets, as ordered maps ready for JSON: preference pairs in the
 * Pick-a-Pic column layout, ranked by the reward model or judged by people side by side; bad cases with
 * everything needed to learn from them, beside people's reviews of them. Every row says who labelled it
 * ({@value #LABEL_SOURCE}: {@value #REWARD_MODEL} or {@value #HUMAN}, and the annotator). Pure functions.
 */
public final class DatasetRows {
  static final String TRAIN = "train";
  static final String VALIDATION = "validation";
  public static final String LABEL_SOURCE = "label_source";
  static final String REWARD_MODEL = "reward_model";
  public static final String HUMAN = "human";

  private DatasetRows() {}

  /**
   * A Pick-a-Pic-compatible row: {@code caption}, {@code image_0_uri}, {@code image_1_uri},
   * {@code label_0}, {@code label_1} (1 for the preferred image, 0 for the other), plus scores, ids and
   * the split. Which image is image_0 is decided by a hash of the pair id, so a model cannot learn
   * "the first one wins" and a re-export puts them in the same order.
   */
  static Map<String, Object> preference(PreferencePair p, int validationPercent) {
    boolean swap = (hash(p.getPairId()) & 1L) == 1L;
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("caption", p.getOriginalPrompt());
    row.put("image_0_uri", swap ? p.getRejectedImageUri() : p.getChosenImageUri());
    row.put("image_1_uri", swap ? p.getChosenImageUri() : p.getRejectedImageUri());
    row.put("label_0", swap ? 0.0 : 1.0);
    row.put("label_1", swap ? 1.0 : 0.0);
    row.put("score_0", swap ? p.getRejectedScore() : p.getChosenScore());
    row.put("score_1", swap ? p.getChosenScore() : p.getRejectedScore());
    row.put("margin", p.getMargin());
    row.put("rewritten_caption", p.getRewrittenPrompt());
    row.put("image_0_job_id", swap ? p.getRejectedJobId() : p.getChosenJobId());
    row.put("image_1_job_id", swap ? p.getChosenJobId() : p.getRejectedJobId());
    row.put("pair_id", p.getPairId());
    row.put("request_id", p.getRequestId());
    row.put("batch_id", p.getBatchId());
    row.put("source", p.getSource().name());
    row.put(LABEL_SOURCE, REWARD_MODEL);
    row.put("annotator", null);
    row.put("reward_model_id", p.getRewardPackId());
    row.put("reward_model_version", p.getRewardPackVersion());
    row.put("created_at", p.getCreatedAt().toString());
    row.put("split", split(p.getOriginalPrompt(), validationPercent));
    return row;
  }

  /**
   * A person's judgement of a pair as a Pick-a-Pic row beside the model's: the chosen image 1 and the
   * other 0, a tie 0.5 and 0.5; {@value #LABEL_SOURCE} {@value #HUMAN} and the annotator; the model's
   * scores where it had them. Null for a skip (and a choice this version does not know): no label, no row.
   * The image order follows the same hash of the pair id as the model's rows, so both kinds of row of one
   * pair put the same image first; {@code label_id} lets a reader drop a judgement that was sent twice.
   */
  public static Map<String, Object> humanPreference(HumanPreference h, int validationPercent) {
    PreferenceChoice choice = h.getChoice();
    double label0;
    if (choice == PreferenceChoice.IMAGE_0) {
      label0 = 1.0;
    } else if (choice == PreferenceChoice.IMAGE_1) {
      label0 = 0.0;
    } else if (choice == PreferenceChoice.TIE) {
      label0 = 0.5;
    } else {
      return null;
    }
    boolean swap = (hash(h.getPairId()) & 1L) == 1L;
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("caption", h.getOriginalPrompt());
    row.put("image_0_uri", swap ? h.getImage1Uri() : h.getImage0Uri());
    row.put("image_1_uri", swap ? h.getImage0Uri() : h.getImage1Uri());
    row.put("label_0", swap ? 1.0 - label0 : label0);
    row.put("label_1", swap ? label0 : 1.0 - label0);
    row.put("score_0", swap ? h.getImage1Score() : h.getImage0Score());
    row.put("score_1", swap ? h.getImage0Score() : h.getImage1Score());
    row.put("margin", null);
    row.put("rewritten_caption", h.getRewrittenPrompt());
    row.put("image_0_job_id", swap ? h.getImage1JobId() : h.getImage0JobId());
    row.put("image_1_job_id", swap ? h.getImage0JobId() : h.getImage1JobId());
    row.put("pair_id", h.getPairId());
    row.put("request_id", h.getRequestId());
    row.put("batch_id", h.getBatchId());
    row.put("source", PreferenceSource.HUMAN.name());
    row.put(LABEL_SOURCE, HUMAN);
    row.put("annotator", h.getAnnotator());
    row.put("label_id", h.getLabelId());
    row.put("time_taken_ms", h.getTimeTakenMs());
    row.put("created_at", h.getLabelledAt().toString());
    row.put("split", split(h.getOriginalPrompt(), validationPercent));
    return row;
  }

  /**
   * A person's review of a verdict, beside the bad-case rows: the image, the model's verdict, score and
   * reasons, and the decision ({@code CONFIRMED} / {@code OVERTURNED}) with the reviewer's reason. Null for
   * a decision this version does not know.
   */
  static Map<String, Object> humanVerdict(HumanVerdict v, int validationPercent) {
    if (v.getDecision() != ReviewDecision.CONFIRMED && v.getDecision() != ReviewDecision.OVERTURNED) {
      return null;
    }
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("caption", v.getOriginalPrompt());
    row.put("image_uri", v.getImageUri());
    row.put("model_verdict", v.getModelVerdict().name());
    row.put("overall_score", v.getOverallScore());
    row.put("reason_codes", v.getReasonCodes());
    row.put("decision", v.getDecision().name());
    row.put("reason", v.getReason());
    row.put("job_id", v.getJobId());
    row.put("request_id", v.getRequestId());
    row.put("batch_id", v.getBatchId());
    row.put(LABEL_SOURCE, HUMAN);
    row.put("annotator", v.getReviewer());
    row.put("review_id", v.getReviewId());
    row.put("time_taken_ms", v.getTimeTakenMs());
    row.put("created_at", v.getReviewedAt().toString());
    row.put("split", split(v.getOriginalPrompt(), validationPercent));
    return row;
  }

  /** A bad case: the image, its prompts, scores, reasons, thresholds, siblings and the models involved. */
  static Map<String, Object> badCase(BadCase b, int validationPercent) {
    ScoredImage s = b.getScored();
    GenerationJob job = s.getImage().getJob();
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("caption", job.getRequest().getPrompt());
    row.put("image_uri", s.getImage().getImageUri());
    row.put("rewritten_caption", job.getRewrittenPrompt());
    row.put("glyph_texts", job.getGlyphTexts());
    row.put("overall_score", s.getOverallScore());
    Map<String, Double> scores = new TreeMap<>();
    for (RewardScore r : s.getScores()) {
      scores.put(r.getReward(), r.getScore());
    }
    row.put("scores", scores);
    row.put("reason_codes", s.getReasonCodes());
    row.put("thresholds", new TreeMap<>(b.getThresholds()));
    row.put("job_id", job.getJobId());
    row.put("request_id", job.getRequest().getRequestId());
    row.put("batch_id", job.getRequest().getBatchId());
    row.put("sibling_job_ids", b.getSiblingJobIds());
    row.put("seed", job.getSeed());
    row.put("model_id", job.getPackId());
    row.put("model_version", job.getPackVersion());
    row.put("reward_model_id", s.getRewardPackId());
    row.put("reward_model_version", s.getRewardPackVersion());
    row.put(LABEL_SOURCE, REWARD_MODEL);
    row.put("annotator", null);
    row.put("created_at", b.getCreatedAt().toString());
    row.put("split", split(job.getRequest().getPrompt(), validationPercent));
    return row;
  }

  /**
   * {@value #VALIDATION} for about {@code validationPercent}% of prompts, {@value #TRAIN} for the rest,
   * by a SHA-256 of the prompt: every image of one prompt lands in the same split, on every export.
   */
  static String split(String prompt, int validationPercent) {
    if (validationPercent < 0 || validationPercent > 100) {
      throw new IllegalArgumentException("validation percent must be 0..100, found " + validationPercent);
    }
    return Long.remainderUnsigned(hash(prompt == null ? "" : prompt), 100) < validationPercent ? VALIDATION : TRAIN;
  }

  /** {@code date=YYYY-MM-DD} of a record timestamp, in UTC. */
  static String datePartition(long timestampMs) {
    return "date=" + Instant.ofEpochMilli(timestampMs).atZone(ZoneOffset.UTC).toLocalDate();
  }

  static long hash(String s) {
    return ByteBuffer.wrap(Digests.sha256(s.getBytes(StandardCharsets.UTF_8)), 0, 8).getLong();
  }
}
