package io.inkflow.streams.scoring;

import java.time.Duration;

/**
 * What the scoring topology needs to know, beyond its clients.
 *
 * @param batchSize images per reward-pack call: the buffer is flushed when it holds this many
 * @param flushInterval the buffer is also flushed once its oldest image has waited this long (wall clock), however few it holds
 * @param maxPixels largest width * height accepted, checked on the PNG header before decoding
 * @param maxImageBytes largest object fetched from S3
 * @param requestTimeout a request's result is decided this long after its first variant arrived, at the latest
 * @param timeoutCheckInterval how often expired requests are looked for (wall clock)
 * @param retention how long seen job ids and finished request/batch markers are remembered
 * @param minPairMargin a preference pair needs a score margin above this
 * @param fetchThreads images of a micro-batch fetched and decoded at once (per stream task); 1 loads them one by one
 * @param batchIdleTimeout an announced batch that has gone this long without a new result is closed with
 *     its missing requests counted (a submitter that died after announcing, say), so it still ends in one result
 */
public record ScoringSettings(int batchSize, Duration flushInterval, long maxPixels, long maxImageBytes,
    Duration requestTimeout, Duration timeoutCheckInterval, Duration retention, double minPairMargin, int fetchThreads,
    Duration batchIdleTimeout) {

  public ScoringSettings {
    if (batchSize < 1 || batchSize > 4096) {
      throw new IllegalArgumentException("batch size must be 1..4096, found " + batchSize);
    }
    positive("flush interval", flushInterval);
    positive("request timeout", requestTimeout);
    positive("timeout check interval", timeoutCheckInterval);
    positive("retention", retention);
    positive("batch idle timeout", batchIdleTimeout);
    if (maxPixels < 1 || maxImageBytes < 1) {
      throw new IllegalArgumentException("max pixels and max image bytes must be positive, found " + maxPixels + ", " + maxImageBytes);
    }
    if (fetchThreads < 1 || fetchThreads > 64) {
      throw new IllegalArgumentException("fetch threads must be 1..64, found " + fetchThreads);
    }
    if (minPairMargin < 0 || minPairMargin >= 1) {
      throw new IllegalArgumentException("min pair margin must be in [0, 1), found " + minPairMargin);
    }
  }

  /** Defaults: batches of 16, flushed at least every 200 ms; 16 Mpx, 64 MiB; 10 min request timeout; 4 fetch threads; 6 h batch idle timeout. */
  public static ScoringSettings defaults() {
    return new ScoringSettings(16, Duration.ofMillis(200), 16_777_216L, 64L << 20, Duration.ofMinutes(10),
        Duration.ofSeconds(1), Duration.ofDays(7), 0.05, 4, Duration.ofHours(6));
  }

  public ScoringSettings withFetchThreads(int n) {
    return new ScoringSettings(batchSize, flushInterval, maxPixels, maxImageBytes, requestTimeout, timeoutCheckInterval, retention, minPairMargin, n, batchIdleTimeout);
  }

  public ScoringSettings withBatchSize(int n) {
    return new ScoringSettings(n, flushInterval, maxPixels, maxImageBytes, requestTimeout, timeoutCheckInterval, retention, minPairMargin, fetchThreads, batchIdleTimeout);
  }

  public ScoringSettings withMaxPixels(long n) {
    return new ScoringSettings(batchSize, flushInterval, n, maxImageBytes, requestTimeout, timeoutCheckInterval, retention, minPairMargin, fetchThreads, batchIdleTimeout);
  }

  public ScoringSettings withRequestTimeout(Duration d) {
    return new ScoringSettings(batchSize, flushInterval, maxPixels, maxImageBytes, d, timeoutCheckInterval, retention, minPairMargin, fetchThreads, batchIdleTimeout);
  }

  public ScoringSettings withFlushInterval(Duration d) {
    return new ScoringSettings(batchSize, d, maxPixels, maxImageBytes, requestTimeout, timeoutCheckInterval, retention, minPairMargin, fetchThreads, batchIdleTimeout);
  }

  public ScoringSettings withBatchIdleTimeout(Duration d) {
    return new ScoringSettings(batchSize, flushInterval, maxPixels, maxImageBytes, requestTimeout, timeoutCheckInterval, retention, minPairMargin, fetchThreads, d);
  }

  private static void positive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, found " + d);
    }
  }
}
