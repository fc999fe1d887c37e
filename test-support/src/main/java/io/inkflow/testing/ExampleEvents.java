package io.inkflow.testing;

import io.inkflow.avro.ApiSubmission;
import io.inkflow.avro.BadCase;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.Language;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.PreferencePair;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ReviewDecision;
import io.inkflow.avro.RewardScore;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.avro.StageTimings;
import io.inkflow.avro.Verdict;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookState;
import io.inkflow.avro.WebhookSubjectKind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;

/**
 * One fully populated example of every event, chained as the pipeline nests them, for tests: a
 * known-good value to round-trip or to derive a case from with {@code newBuilder(example)}.
 */
public final class ExampleEvents {
  public static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");

  private ExampleEvents() {}

  public static PromptRequest request() {
    return PromptRequest.newBuilder()
        .setRequestId("TEA-003")
        .setBatchId("catalog-1")
        .setPrompt("用青花瓷风格写出“春”字，作为海报中心元素")
        .setNegativePrompt("blurry")
        .setLanguage(Language.ZH)
        .setRenderText(List.of("春"))
        .setWidth(512)
        .setHeight(768)
        .setNumImages(2)
        .setSeed(42L)
        .setTags(Map.of("sku", "TEA-003", "category", "poster"))
        .setSubmittedAt(T0)
        .build();
  }

  public static GenerationJob job() {
    return GenerationJob.newBuilder()
        .setRequest(request())
        .setVariant(1)
        .setNumVariants(2)
        .setJobId("TEA-003-1")
        .setNormalizedPrompt("用青花瓷风格写出“春”字，作为海报中心元素")
        .setRewrittenPrompt("用青花瓷风格写出“春”字，作为海报中心元素，柔和光线，构图居中")
        .setRewriteStrategy("rules-bilingual")
        .setRewriteVersion("1")
        .setDetectedLanguage(Language.ZH)
        .setGlyphTexts(List.of("春"))
        .setPromptTokens(31)
        .setRequestedSize(new Size(512, 768))
        .setSize(new Size(512, 768))
        .setSteps(4)
        .setGuidanceScale(4.5f)
        .setSeed(43L)
        .setPackId("mmdit-tiny")
        .setPackVersion("1.0.0")
        .setCreatedAt(T0)
        .build();
  }

  public static GeneratedImage image() {
    return GeneratedImage.newBuilder()
        .setJob(job())
        .setStatus(ImageStatus.GENERATED)
        .setImageUri("s3://inkflow-images/images/catalog-1/TEA-003/1-43.png")
        .setSha256("ab".repeat(32))
        .setDeliveredSize(new Size(512, 768))
        .setTimings(StageTimings.newBuilder().setEncodeMs(3).setDenoiseMs(120).setDecodeMs(9).setPngMs(4).setBatchSize(4).build())
        .setWorkerId("worker-1")
        .setGeneratedAt(T0.plusSeconds(2))
        .build();
  }

  public static ScoredImage scored() {
    return ScoredImage.newBuilder()
        .setImage(image())
        .setScores(List.of(new RewardScore("aesthetic", 0.31, 0.4), new RewardScore("alignment_rewritten", 0.2, 0.4)))
        .setRewardPackId("reward-tiny")
        .setRewardPackVersion("1.0.0")
        .setOverallScore(0.25)
        .setVerdict(Verdict.BAD_CASE)
        .setReasonCodes(List.of("LOW_AESTHETIC", "MISALIGNED"))
        .setScoredAt(T0.plusSeconds(3))
        .build();
  }

  public static BadCase badCase() {
    return BadCase.newBuilder()
        .setScored(scored())
        .setThresholds(Map.of("aesthetic", 0.4, "overall", 0.5))
        .setSiblingJobIds(List.of("TEA-003-0"))
        .setCreatedAt(T0.plusSeconds(3))
        .build();
  }

  public static RequestResult result() {
    RankedVariant best = RankedVariant.newBuilder()
        .setJobId("TEA-003-0").setVariant(0).setSeed(42L)
        .setImageUri("s3://inkflow-images/images/catalog-1/TEA-003/0-42.png")
        .setScore(0.8).setVerdict(Verdict.ACCEPTED)
        .setRequestedSize(new Size(512, 768)).setDeliveredSize(new Size(512, 768))
        .build();
    return RequestResult.newBuilder()
        .setRequestId("TEA-003")
        .setBatchId("catalog-1")
        .setStatus(RequestStatus.COMPLETED)
        .setNumVariants(2)
        .setVariants(List.of(best))
        .setBestVariant(best)
        .setCompletedAt(T0.plusSeconds(4))
        .build();
  }

  public static PreferencePair pair() {
    return PreferencePair.newBuilder()
        .setPairId("TEA-003-0>TEA-003-1")
        .setRequestId("TEA-003")
        .setOriginalPrompt("春")
        .setRewrittenPrompt("春, poster")
        .setChosenJobId("TEA-003-0").setChosenImageUri("s3://b/0.png").setChosenScore(0.8)
        .setRejectedJobId("TEA-003-1").setRejectedImageUri("s3://b/1.png").setRejectedScore(0.25)
        .setMargin(0.55)
        .setCreatedAt(T0.plusSeconds(4))
        .build();
  }

  public static BatchSubmitted batch() {
    return BatchSubmitted.newBuilder().setBatchId("catalog-1").setExpectedCount(12).setSubmitter("demo")
        .setSource("catalog-sample.csv").setSubmittedAt(T0).build();
  }

  public static BatchResult batchResult() {
    return BatchResult.newBuilder().setBatchId("catalog-1").setExpectedCount(12).setCompleted(10).setPartial(1)
        .setRejected(1).setImagesGenerated(40).setBadCases(3)
        .setManifestUri("s3://inkflow-images/manifests/catalog-1/manifest.jsonl").setCompletedAt(T0.plusSeconds(60)).build();
  }

  /** A reviewer overturning the bad-case verdict of {@link #badCase()}'s image. */
  public static HumanVerdict humanVerdict() {
    return HumanVerdict.newBuilder()
        .setReviewId("review-7f3a")
        .setJobId("TEA-003-1")
        .setRequestId("TEA-003")
        .setBatchId("catalog-1")
        .setOriginalPrompt("用青花瓷风格写出“春”字，作为海报中心元素")
        .setImageUri("s3://inkflow-images/images/catalog-1/TEA-003/1-43.png")
        .setModelVerdict(Verdict.BAD_CASE)
        .setOverallScore(0.25)
        .setReasonCodes(List.of("LOW_AESTHETIC", "MISALIGNED"))
        .setDecision(ReviewDecision.OVERTURNED)
        .setReason("the glyph is legible and the style matches")
        .setReviewer("li.wei")
        .setTimeTakenMs(4_200)
        .setReviewedAt(T0.plusSeconds(600))
        .build();
  }

  /** An annotator preferring the second image of {@link #result()}'s request, shown on the left. */
  public static HumanPreference humanPreference() {
    return HumanPreference.newBuilder()
        .setLabelId("label-91c2")
        .setPairId("TEA-003-0~TEA-003-1")
        .setRequestId("TEA-003")
        .setBatchId("catalog-1")
        .setOriginalPrompt("用青花瓷风格写出“春”字，作为海报中心元素")
        .setRewrittenPrompt("用青花瓷风格写出“春”字，作为海报中心元素，柔和光线，构图居中")
        .setImage0JobId("TEA-003-0").setImage0Uri("s3://inkflow-images/images/catalog-1/TEA-003/0-42.png").setImage0Score(0.8)
        .setImage1JobId("TEA-003-1").setImage1Uri("s3://inkflow-images/images/catalog-1/TEA-003/1-43.png").setImage1Score(0.25)
        .setChoice(PreferenceChoice.IMAGE_1)
        .setAnnotator("li.wei")
        .setSwapped(true)
        .setTimeTakenMs(2_350)
        .setLabelledAt(T0.plusSeconds(900))
        .build();
  }

  /** A webhook subscription after a failed first attempt. */
  public static WebhookDelivery webhookDelivery() {
    return WebhookDelivery.newBuilder().setSubjectId("catalog-1").setKind(WebhookSubjectKind.BATCH)
        .setCallbackUrl("https://hooks.example.com/inkflow").setEventId("evt_0123456789abcdef01234567")
        .setState(WebhookState.RETRYING).setAttempt(1).setHttpStatus(500).setError("HTTP 500").setRegisteredAt(T0)
        .setFirstAttemptAt(T0.plusSeconds(61)).setAttemptedAt(T0.plusSeconds(61)).setNextAttemptAt(T0.plusSeconds(71)).build();
  }

  /** What the API accepted under an Idempotency-Key. */
  public static ApiSubmission apiSubmission() {
    return ApiSubmission.newBuilder().setPrincipal("catalogue-team").setIdempotencyKey("upload-2026-11-25")
        .setKind(WebhookSubjectKind.BATCH).setSubjectId("catalog-1").setBodySha256("ab".repeat(32)).setRequestCount(10)
        .setAcceptedAt(T0).build();
  }

  /** The example of a given event type. */
  public static <T extends SpecificRecord> T of(Class<T> type) {
    return all().stream().filter(type::isInstance).map(type::cast).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no example event of type " + type.getName()));
  }

  /** Every event type, once. */
  public static List<SpecificRecord> all() {
    return List.of(request(), job(), image(), scored(), badCase(), result(), pair(), batch(), batchResult(), humanVerdict(),
        humanPreference(), webhookDelivery(), apiSubmission());
  }
}
