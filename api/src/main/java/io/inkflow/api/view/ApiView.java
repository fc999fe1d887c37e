package io.inkflow.api.view;

import io.inkflow.avro.ApiSubmission;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.RewardScore;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What the API answers reads from: the newest {@code BatchSubmitted}, {@code RequestResult} and
 * {@code BatchResult} per id, per-batch counts by status, webhook subscriptions and accepted
 * Idempotency-Keys, and for the console what each scored image was asked for and how it was judged (from
 * {@code images-scored}) and people's judgements (from {@code human-preferences} and {@code human-verdicts}), kept in memory from the compacted topics by {@link TopicViewLoader}. Reads never scan a
 * topic. Safe for one writer (the loader) and many readers.
 */
public final class ApiView {
  /** A batch's progress: the announcement (if seen), the result (if complete) and its requests' statuses. */
  public record BatchProgress(BatchSubmitted submitted, BatchResult result, Map<RequestStatus, Integer> counts, int done) {}

  /**
   * What one scored image was asked for and how the reward model judged it: the console's gallery, review
   * and labelling pages read it, so they never join topics.
   *
   * @param scores each reward's score by reward name, in the pack's order
   */
  public record ImageFacts(String jobId, String requestId, String batchId, int variant, String originalPrompt, String rewrittenPrompt,
      String language, String imageUri, Double overallScore, Verdict verdict, List<String> reasonCodes, Map<String, Double> scores) {
    /** The facts of one {@code images-scored} event. */
    public static ImageFacts of(ScoredImage s) {
      GenerationJob job = s.getImage().getJob();
      Map<String, Double> scores = new LinkedHashMap<>();
      for (RewardScore r : s.getScores()) {
        scores.put(r.getReward(), r.getScore());
      }
      return new ImageFacts(job.getJobId(), job.getRequest().getRequestId(), job.getRequest().getBatchId(), job.getVariant(),
          job.getRequest().getPrompt(), job.getRewrittenPrompt(), job.getDetectedLanguage().name(), s.getImage().getImageUri(),
          s.getOverallScore(), s.getVerdict(), List.copyOf(s.getReasonCodes()), Collections.unmodifiableMap(scores));
    }
  }

  private final ConcurrentMap<String, BatchSubmitted> batches = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, BatchResult> batchResults = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, RequestResult> requests = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ConcurrentMap<String, RequestStatus>> statusesByBatch = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, WebhookDelivery> deliveries = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ApiSubmission> submissions = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ImageFacts> images = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ConcurrentMap<String, ImageFacts>> imagesByRequest = new ConcurrentHashMap<>();
  /** Request ids in the order their first result arrived: what the labelling queue is fed from. */
  // Append-only logs, copied out under their own lock: a copy-on-write list would copy itself on every append.
  private final List<String> resultOrder = new ArrayList<>();
  private final List<HumanPreference> preferences = new ArrayList<>();
  private final ConcurrentMap<String, List<HumanPreference>> preferencesByBatch = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, HumanVerdict> verdictsByJob = new ConcurrentHashMap<>();

  public void apply(BatchSubmitted b) {
    batches.put(b.getBatchId(), b);
  }

  public void apply(RequestResult r) {
    if (requests.put(r.getRequestId(), r) == null) {
      synchronized (resultOrder) {
        resultOrder.add(r.getRequestId());
      }
    }
    if (r.getBatchId() != null) {
      statusesByBatch.computeIfAbsent(r.getBatchId(), k -> new ConcurrentHashMap<>()).put(r.getRequestId(), r.getStatus());
    }
  }

  public void apply(BatchResult r) {
    batchResults.put(r.getBatchId(), r);
  }

  /**
   * Applies a subscription's state unless an older step: the API applies its own attempts at once and
   * reads them back from the topic later, so states only move forward (more attempts; DELIVERED and GAVE_UP
   * are final).
   */
  public void apply(String key, WebhookDelivery d) {
    deliveries.merge(key, d, (old, neu) -> newer(old, neu) ? neu : old);
  }

  private static boolean newer(WebhookDelivery old, WebhookDelivery neu) {
    if (old.getState() == WebhookState.DELIVERED || old.getState() == WebhookState.GAVE_UP) {
      return false;
    }
    return neu.getAttempt() > old.getAttempt() || (neu.getAttempt() == old.getAttempt() && neu.getState().ordinal() >= old.getState().ordinal());
  }

  public void apply(String key, ApiSubmission s) {
    submissions.put(key, s);
  }

  public void apply(ScoredImage s) {
    ImageFacts facts = ImageFacts.of(s);
    images.put(facts.jobId(), facts);
    imagesByRequest.computeIfAbsent(facts.requestId(), k -> new ConcurrentHashMap<>()).put(facts.jobId(), facts);
  }

  /** Appends a judgement; duplicates by label id are left to the readers (the queue and the agreement drop them). */
  public void apply(HumanPreference p) {
    synchronized (preferences) {
      preferences.add(p);
    }
    List<HumanPreference> ofBatch = preferencesByBatch.computeIfAbsent(String.valueOf(p.getBatchId()), k -> new ArrayList<>());
    synchronized (ofBatch) {
      ofBatch.add(p);
    }
  }

  /** Keeps the newest review of each image. */
  public void apply(HumanVerdict v) {
    verdictsByJob.merge(v.getJobId(), v, (old, neu) -> neu.getReviewedAt().isBefore(old.getReviewedAt()) ? old : neu);
  }

  /** What the scored image {@code jobId} was asked for and how it was judged, if it was scored. */
  public Optional<ImageFacts> image(String jobId) {
    return Optional.ofNullable(images.get(jobId));
  }

  /** The scored images of a request, by job id. */
  public Map<String, ImageFacts> imagesOf(String requestId) {
    return Map.copyOf(imagesByRequest.getOrDefault(requestId, new ConcurrentHashMap<>()));
  }

  /** Request ids from position {@code from} on, in the order their results first arrived. */
  public List<String> resultsSince(int from) {
    synchronized (resultOrder) {
      int size = resultOrder.size();
      return from >= size ? List.of() : List.copyOf(resultOrder.subList(from, size));
    }
  }

  /** Judgements from position {@code from} on, in arrival order. */
  public List<HumanPreference> preferencesSince(int from) {
    synchronized (preferences) {
      int size = preferences.size();
      return from >= size ? List.of() : List.copyOf(preferences.subList(from, size));
    }
  }

  /** The judgements of a batch's pairs, as read (duplicates included). */
  public List<HumanPreference> preferencesOf(String batchId) {
    List<HumanPreference> ofBatch = preferencesByBatch.get(batchId);
    if (ofBatch == null) {
      return List.of();
    }
    synchronized (ofBatch) {
      return List.copyOf(ofBatch);
    }
  }

  /** The newest review of image {@code jobId}, if any. */
  public Optional<HumanVerdict> review(String jobId) {
    return Optional.ofNullable(verdictsByJob.get(jobId));
  }

  /** Every batch id announced or with results, sorted. */
  public List<String> batchIds() {
    TreeSet<String> ids = new TreeSet<>(batches.keySet());
    ids.addAll(batchResults.keySet());
    ids.addAll(statusesByBatch.keySet());
    return List.copyOf(ids);
  }

  public Optional<RequestResult> request(String requestId) {
    return Optional.ofNullable(requests.get(requestId));
  }

  public Optional<BatchResult> batchResult(String batchId) {
    return Optional.ofNullable(batchResults.get(batchId));
  }

  public Optional<BatchSubmitted> batch(String batchId) {
    return Optional.ofNullable(batches.get(batchId));
  }

  /** A batch's progress, if the batch was announced or has results. */
  public Optional<BatchProgress> progress(String batchId) {
    BatchSubmitted submitted = batches.get(batchId);
    BatchResult result = batchResults.get(batchId);
    Map<String, RequestStatus> statuses = statusesByBatch.getOrDefault(batchId, new ConcurrentHashMap<>());
    if (submitted == null && result == null && statuses.isEmpty()) {
      return Optional.empty();
    }
    Map<RequestStatus, Integer> counts = new EnumMap<>(RequestStatus.class);
    statuses.values().forEach(s -> counts.merge(s, 1, Integer::sum));
    return Optional.of(new BatchProgress(submitted, result, counts, statuses.size()));
  }

  public Optional<WebhookDelivery> delivery(String key) {
    return Optional.ofNullable(deliveries.get(key));
  }

  /** Every webhook subscription's newest state, keyed {@code kind:subjectId}. */
  public Map<String, WebhookDelivery> deliveries() {
    return Map.copyOf(deliveries);
  }

  public Optional<ApiSubmission> submission(String key) {
    return Optional.ofNullable(submissions.get(key));
  }

  /** The results of a batch's requests seen so far. */
  public List<RequestResult> requestsOf(String batchId) {
    List<RequestResult> out = new ArrayList<>();
    statusesByBatch.getOrDefault(batchId, new ConcurrentHashMap<>()).keySet().forEach(id -> {
      RequestResult r = requests.get(id);
      if (r != null) {
        out.add(r);
      }
    });
    return out;
  }
}
