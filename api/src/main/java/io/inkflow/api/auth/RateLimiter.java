package io.inkflow.api.auth;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-token token buckets (Bucket4j): each token may make its own requests-per-minute (or the service
 * default), with bursts up to that many, refilled smoothly. Time comes from an injectable clock so tests
 * run minutes of refill instantly.
 */
public final class RateLimiter {
  private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final int defaultPerMinute;
  private final TimeMeter time;

  public RateLimiter(int defaultPerMinute, Clock clock) {
    if (defaultPerMinute < 1) {
      throw new IllegalArgumentException("requests per minute must be >= 1, found " + defaultPerMinute);
    }
    this.defaultPerMinute = defaultPerMinute;
    this.time = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        Clock c = clock;
        return Math.multiplyExact(c.millis(), 1_000_000L);
      }

      @Override
      public boolean isWallClockBased() {
        return true;
      }
    };
  }

  /**
   * Takes one request from {@code principal}'s bucket.
   *
   * @return zero when allowed, else how long until one more request is allowed
   */
  public Duration acquire(Principal principal) {
    Bucket bucket = buckets.computeIfAbsent(principal.name(), n -> {
      int perMinute = principal.ratePerMinute() > 0 ? principal.ratePerMinute() : defaultPerMinute;
      return Bucket.builder()
          .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
          .withCustomTimePrecision(time)
          .build();
    });
    var probe = bucket.tryConsumeAndReturnRemaining(1);
    return probe.isConsumed() ? Duration.ZERO : Duration.ofNanos(probe.getNanosToWaitForRefill());
  }
}
