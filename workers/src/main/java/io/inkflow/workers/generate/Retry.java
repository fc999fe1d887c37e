package io.inkflow.workers.generate;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action up to {@code attempts} times with exponential backoff while the error is retryable,
 * logging "attempt n/m" for each failure.
 */
public final class Retry {
  private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

  private final int attempts;
  private final Duration initial;
  private final Duration max;
  private final RetryListener listener;

  /** Told about every failed attempt that will be retried (for metrics). */
  @FunctionalInterface
  public interface RetryListener {
    void retrying(String what, Throwable error);
  }

  public Retry(int attempts, Duration initial, Duration max, RetryListener listener) {
    if (attempts < 1) {
      throw new IllegalArgumentException("expected attempts >= 1, found " + attempts);
    }
    this.attempts = attempts;
    this.initial = initial;
    this.max = max;
    this.listener = listener;
  }

  /**
   * Calls {@code action} until it succeeds, fails with a non-retryable error, or the attempts are used up.
   *
   * @param what what is tried, with its context (job id, key), for the logs
   * @throws Exception the last error
   */
  public <T> T call(String what, Predicate<Throwable> retryable, Callable<T> action) throws Exception {
    long delay = initial.toMillis();
    for (int attempt = 1; ; attempt++) {
      try {
        return action.call();
      } catch (Exception e) {
        Throwable cause = unwrap(e);
        if (attempt >= attempts || !retryable.test(cause)) {
          LOG.warn("{}: attempt {}/{} failed, giving up: {}", what, attempt, attempts, cause.toString());
          throw e;
        }
        LOG.warn("{}: attempt {}/{} failed, retrying in {} ms: {}", what, attempt, attempts, delay, cause.toString());
        listener.retrying(what, cause);
        Thread.sleep(delay);
        delay = Math.min(max.toMillis(), Math.max(1, delay * 2));
      }
    }
  }

  /** The cause of an ExecutionException (what a failed Kafka send reports), otherwise the error itself. */
  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
