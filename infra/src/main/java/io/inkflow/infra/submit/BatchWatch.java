package io.inkflow.infra.submit;

import io.inkflow.avro.BatchResult;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a client watching one batch has seen while it runs: each request's latest result, the images
 * delivered, and the batch's own result once it arrives. Renders the one-line progress bar {@code submit --wait}
 * and the demo show. Pure: fed records, asked questions.
 */
public final class BatchWatch {
  private final String batchId;
  private final int expected;
  private final long startNanos;
  private final Map<String, RequestResult> results = new HashMap<>();
  private int repeated;
  private BatchResult batchResult;

  public BatchWatch(String batchId, int expected, long startNanos) {
    this.batchId = batchId;
    this.expected = expected;
    this.startNanos = startNanos;
  }

  /** Takes a result if it belongs to this batch; a later result for the same request replaces the earlier. */
  public void accept(RequestResult r) {
    if (batchId.equals(r.getBatchId()) && results.put(r.getRequestId(), r) != null) {
      repeated++;
    }
  }

  /** Results that arrived for a request that already had one (the pipeline promises none). */
  public int repeatedResults() {
    return repeated;
  }

  public void accept(BatchResult r) {
    if (batchId.equals(r.getBatchId())) {
      batchResult = r;
    }
  }

  public int done() {
    return results.size();
  }

  public int expected() {
    return expected;
  }

  /** Images delivered so far (variants with an image). */
  public long images() {
    return results.values().stream().flatMap(r -> r.getVariants().stream()).filter(v -> v.getImageUri() != null).count();
  }

  public Map<RequestStatus, Integer> byStatus() {
    Map<RequestStatus, Integer> m = new EnumMap<>(RequestStatus.class);
    results.values().forEach(r -> m.merge(r.getStatus(), 1, Integer::sum));
    return m;
  }

  public boolean allRequestsTerminal() {
    return results.size() >= expected;
  }

  public BatchResult batchResult() {
    return batchResult;
  }

  public Map<String, RequestResult> results() {
    return results;
  }

  /** {@code [#########...........]  12/40 requests  30 images  3.2 images/s  ETA 0:09} */
  public String bar(long nowNanos, int width) {
    double elapsed = Math.max(1e-3, (nowNanos - startNanos) / 1e9);
    int filled = expected == 0 ? width : (int) Math.min(width, (long) width * done() / expected);
    double imagesPerSecond = images() / elapsed;
    double requestsPerSecond = done() / elapsed;
    String eta = done() == 0 || requestsPerSecond == 0 ? "--:--"
        : clock(Duration.ofSeconds(Math.round(Math.max(0, expected - done()) / requestsPerSecond)));
    return String.format(Locale.ROOT, "[%s%s] %d/%d requests  %d images  %.1f images/s  ETA %s",
        "#".repeat(filled), ".".repeat(width - filled), done(), expected, images(), imagesPerSecond, eta);
  }

  static String clock(Duration d) {
    long s = d.getSeconds();
    return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
