package io.inkflow.streams.results;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.PreferenceSource;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Best-of-N: ranks a request's terminal variants, decides the request's status and pairs the best
 * variant against the clearly worse ones. Pure functions of the variants; public for the reason codes a
 * {@link RequestResult} may carry.
 */
public final class BestOfN {
  public static final String TIMED_OUT = "TIMED_OUT";
  public static final String VARIANTS_FAILED = "VARIANTS_FAILED";
  public static final String ALL_VARIANTS_FAILED = "ALL_VARIANTS_FAILED";

  /** Scored first, best score first (ties: lower variant first); then failed ones by variant. */
  static final Comparator<ScoredImage> RANKING = Comparator
      .comparing((ScoredImage s) -> !isScored(s))
      .thenComparing(s -> isScored(s) ? -s.getOverallScore() : 0.0)
      .thenComparingInt(s -> s.getImage().getJob().getVariant());

  private BestOfN() {}

  /** Whether the reward pack scored the image (ACCEPTED or BAD_CASE). */
  static boolean isScored(ScoredImage s) {
    return (s.getVerdict() == Verdict.ACCEPTED || s.getVerdict() == Verdict.BAD_CASE) && s.getOverallScore() != null;
  }

  /** The variants in rank order. */
  static List<ScoredImage> rank(Collection<ScoredImage> variants) {
    List<ScoredImage> ranked = new ArrayList<>(variants);
    ranked.sort(RANKING);
    return ranked;
  }

  /**
   * The request's one result.
   *
   * @param variants the terminal variants received, at least one
   * @param numVariants how many the request fanned out to
   * @param decidedAt when the result is decided
   */
  static RequestResult result(Collection<ScoredImage> variants, int numVariants, Instant decidedAt) {
    if (variants.isEmpty()) {
      throw new IllegalArgumentException("expected at least one variant, found none");
    }
    List<ScoredImage> ranked = rank(variants);
    long scored = ranked.stream().filter(BestOfN::isScored).count();
    boolean missing = ranked.size() < numVariants;
    RequestStatus status;
    String reason = null;
    String message = null;
    if (scored == 0) {
      status = RequestStatus.FAILED;
      reason = missing ? TIMED_OUT : ALL_VARIANTS_FAILED;
      message = ranked.size() + " of " + numVariants + " variants arrived, none scored: " + failures(ranked);
    } else if (scored == numVariants) {
      status = RequestStatus.COMPLETED;
    } else {
      status = RequestStatus.PARTIAL;
      reason = missing ? TIMED_OUT : VARIANTS_FAILED;
      message = scored + " of " + numVariants + " variants scored, " + ranked.size() + " arrived"
          + (scored < ranked.size() ? ": " + failures(ranked) : "");
    }
    List<RankedVariant> out = ranked.stream().map(BestOfN::toRanked).toList();
    GenerationJob job = ranked.get(0).getImage().getJob();
    return RequestResult.newBuilder()
        .setRequestId(job.getRequest().getRequestId())
        .setBatchId(job.getRequest().getBatchId())
        .setStatus(status)
        .setReasonCode(reason)
        .setReasonMessage(message)
        .setNumVariants(numVariants)
        .setVariants(out)
        .setBestVariant(scored > 0 ? out.get(0) : null)
        .setTags(job.getRequest().getTags())
        .setDroppedGlyphTexts(job.getDroppedGlyphTexts())
        .setCompletedAt(decidedAt)
        .build();
  }

  /** Longest account of one failed variant in a result's message. */
  private static final int MAX_FAILURE_CHARS = 240;

  /**
   * What went wrong with each failed variant, naming the stage that failed and its cause, e.g.
   * "variant 1: generation failed (INFERENCE_ERROR: …)" or "variant 0: scoring failed (IMAGE_UNREADABLE)".
   */
  static String failures(List<ScoredImage> ranked) {
    List<String> out = new ArrayList<>();
    for (ScoredImage s : ranked) {
      if (isScored(s)) {
        continue;
      }
      GeneratedImage image = s.getImage();
      String why;
      if (image.getStatus() != ImageStatus.GENERATED) {
        String code = image.getErrorCode() == null ? "GENERATION_FAILED" : image.getErrorCode();
        why = "generation failed (" + code + (image.getErrorMessage() == null ? "" : ": " + image.getErrorMessage()) + ")";
      } else {
        why = "scoring failed (" + String.join(", ", s.getReasonCodes()) + ")";
      }
      if (why.codePointCount(0, why.length()) > MAX_FAILURE_CHARS) {
        // Cut between code points: half a surrogate pair could not be written.
        why = why.substring(0, why.offsetByCodePoints(0, MAX_FAILURE_CHARS)) + "…)";
      }
      out.add("variant " + image.getJob().getVariant() + ": " + why);
    }
    return String.join("; ", out);
  }

  /** One variant as it appears in a result. */
  static RankedVariant toRanked(ScoredImage s) {
    GenerationJob job = s.getImage().getJob();
    return RankedVariant.newBuilder()
        .setJobId(job.getJobId())
        .setVariant(job.getVariant())
        .setSeed(job.getSeed())
        .setImageUri(isScored(s) ? s.getImage().getImageUri() : null)
        .setScore(isScored(s) ? s.getOverallScore() : null)
        .setVerdict(s.getVerdict())
        .setRequestedSize(job.getRequestedSize())
        .setDeliveredSize(s.getImage().getDeliveredSize())
        .build();
  }

  /**
   * Pairs the best scored variant against each other scored variant it beats by more than
   * {@code minMargin}; none when fewer than two variants were scored.
   */
  static List<PreferencePair> pairs(Collection<ScoredImage> variants, double minMargin, Instant createdAt) {
    List<ScoredImage> scored = rank(variants).stream().filter(BestOfN::isScored).toList();
    if (scored.size() < 2) {
      return List.of();
    }
    ScoredImage best = scored.get(0);
    GenerationJob job = best.getImage().getJob();
    List<PreferencePair> pairs = new ArrayList<>();
    for (ScoredImage other : scored.subList(1, scored.size())) {
      double margin = best.getOverallScore() - other.getOverallScore();
      if (margin <= minMargin) {
        continue;
      }
      String chosenId = job.getJobId();
      String rejectedId = other.getImage().getJob().getJobId();
      pairs.add(PreferencePair.newBuilder()
          .setPairId(chosenId + ">" + rejectedId)
          .setRequestId(job.getRequest().getRequestId())
          .setBatchId(job.getRequest().getBatchId())
          .setOriginalPrompt(job.getRequest().getPrompt())
          .setRewrittenPrompt(job.getRewrittenPrompt())
          .setChosenJobId(chosenId)
          .setChosenImageUri(best.getImage().getImageUri())
          .setChosenScore(best.getOverallScore())
          .setRejectedJobId(rejectedId)
          .setRejectedImageUri(other.getImage().getImageUri())
          .setRejectedScore(other.getOverallScore())
          .setMargin(margin)
          .setSource(PreferenceSource.REWARD_MODEL)
          .setRewardPackId(best.getRewardPackId())
          .setRewardPackVersion(best.getRewardPackVersion())
          .setCreatedAt(createdAt)
          .build());
    }
    return pairs;
  }
}
