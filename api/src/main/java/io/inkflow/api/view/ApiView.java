package io.inkflow.api.view;

import io.inkflow.avro.ApiSubmission;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookState;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What the API answers reads from: the newest {@code BatchSubmitted}, {@code RequestResult} and
 * {@code BatchResult} per id, per-batch counts by status, webhook subscriptions and accepted
 * Idempotency-Keys, kept in memory from the compacted topics by {@link TopicViewLoader}. Reads never scan a
 * topic. Safe for one writer (the loader) and many readers.
 */
public final class ApiView {
  /** A batch's progress: the announcement (if seen), the result (if complete) and its requests' statuses. */
  public record BatchProgress(BatchSubmitted submitted, BatchResult result, Map<RequestStatus, Integer> counts, int done) {}

  private final ConcurrentMap<String, BatchSubmitted> batches = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, BatchResult> batchResults = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, RequestResult> requests = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ConcurrentMap<String, RequestStatus>> statusesByBatch = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, WebhookDelivery> deliveries = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, ApiSubmission> submissions = new ConcurrentHashMap<>();

  public void apply(BatchSubmitted b) {
    batches.put(b.getBatchId(), b);
  }

  public void apply(RequestResult r) {
    requests.put(r.getRequestId(), r);
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
