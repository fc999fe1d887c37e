package io.inkflow.streams.labels;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.Verdict;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Two images of one prompt to be judged side by side: the unit of pairwise preference labelling.
 *
 * <p>{@code image0} is the lower variant, so a pair has one identity ({@link #pairId}) whichever side a
 * labelling tool shows it on, and every annotator who sees it judges the same pair.
 *
 * @param pairId {@code {image0.jobId}~{image1.jobId}}
 * @param requestId the request both images answer
 * @param batchId the request's batch, or null
 * @param originalPrompt the prompt as the user wrote it
 * @param rewrittenPrompt the prompt the model was given, or null when not known
 * @param image0 the lower variant
 * @param image1 the higher variant
 */
public record LabelPair(String pairId, String requestId, String batchId, String originalPrompt, String rewrittenPrompt,
    Image image0, Image image1) {
  /** Separates the two job ids of a pair id. */
  public static final String SEPARATOR = "~";

  /**
   * One image of a pair.
   *
   * @param jobId the variant's job id
   * @param variant the variant index
   * @param uri the image's s3:// URI
   * @param score the reward model's overall score, or null when it has none
   */
  public record Image(String jobId, int variant, String uri, Double score) {
    public Image {
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(uri, "uri");
    }
  }

  public LabelPair {
    Objects.requireNonNull(pairId, "pairId");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(originalPrompt, "originalPrompt");
    Objects.requireNonNull(image0, "image0");
    Objects.requireNonNull(image1, "image1");
  }

  /** The pair id of two job ids, in pair order. */
  public static String pairId(String image0JobId, String image1JobId) {
    return image0JobId + SEPARATOR + image1JobId;
  }

  /**
   * Every pair of a finished request's images: each two variants that have an image and were scored
   * (ACCEPTED or BAD_CASE), in variant order ({@code (0,1), (0,2), (1,2), …}). None for a request that was
   * rejected or failed, or that has fewer than two such images. The result does not carry the prompt, so
   * the caller passes it.
   *
   * @param result the request's result
   * @param originalPrompt the prompt as the user wrote it
   * @param rewrittenPrompt the prompt the model was given, or null
   */
  public static List<LabelPair> of(RequestResult result, String originalPrompt, String rewrittenPrompt) {
    if (result.getStatus() != RequestStatus.COMPLETED && result.getStatus() != RequestStatus.PARTIAL) {
      return List.of();
    }
    List<RankedVariant> images = new ArrayList<>();
    for (RankedVariant v : result.getVariants()) {
      if (v.getImageUri() != null && (v.getVerdict() == Verdict.ACCEPTED || v.getVerdict() == Verdict.BAD_CASE)) {
        images.add(v);
      }
    }
    images.sort(Comparator.comparingInt(RankedVariant::getVariant).thenComparing(RankedVariant::getJobId));
    List<LabelPair> pairs = new ArrayList<>();
    for (int i = 0; i < images.size(); i++) {
      for (int j = i + 1; j < images.size(); j++) {
        Image a = image(images.get(i));
        Image b = image(images.get(j));
        pairs.add(new LabelPair(pairId(a.jobId(), b.jobId()), result.getRequestId(), result.getBatchId(), originalPrompt,
            rewrittenPrompt, a, b));
      }
    }
    return List.copyOf(pairs);
  }

  /**
   * The event recording one annotator's answer on this pair.
   *
   * @param labelId the judgement's unique id (a resent answer keeps it)
   * @param annotator who answered
   * @param choice IMAGE_0, IMAGE_1, TIE or SKIP, in pair order
   * @param swapped whether image1 was shown on the left
   * @param timeTakenMs from the pair being shown to the answer
   * @param labelledAt when the annotator answered
   */
  public HumanPreference judgement(String labelId, String annotator, PreferenceChoice choice, boolean swapped, long timeTakenMs,
      Instant labelledAt) {
    return HumanPreference.newBuilder()
        .setLabelId(labelId)
        .setPairId(pairId)
        .setRequestId(requestId)
        .setBatchId(batchId)
        .setOriginalPrompt(originalPrompt)
        .setRewrittenPrompt(rewrittenPrompt)
        .setImage0JobId(image0.jobId()).setImage0Uri(image0.uri()).setImage0Score(image0.score())
        .setImage1JobId(image1.jobId()).setImage1Uri(image1.uri()).setImage1Score(image1.score())
        .setChoice(choice)
        .setAnnotator(annotator)
        .setSwapped(swapped)
        .setTimeTakenMs(timeTakenMs)
        .setLabelledAt(labelledAt)
        .build();
  }

  private static Image image(RankedVariant v) {
    return new Image(v.getJobId(), v.getVariant(), v.getImageUri(), v.getScore());
  }
}
