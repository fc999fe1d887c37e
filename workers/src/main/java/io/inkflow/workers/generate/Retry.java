package io.inkflow.workers.generate;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action with exponential backoff while the error is retryable: at least {@code attempts}
 * times, and beyond that until {@code deadline} has passed since the first try, so that an outage of a
 * few minutes delays the work rather than failing it. Each failure is logged as "attempt n".
 */
public final class Retry {
  private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

  private final int attempts;
  private final Duration initial;
  private final Duration max;
  private final Duration deadline;
  private final RetryListener listener;

  /** Told about every failed attempt that will be retried (for metrics). */
  @FunctionalInterface
  public interface RetryListener {
    void retrying(String what, Throwable error);
  }

  public Retry(int attempts, Duration initial, Duration max, Duration deadline, RetryListener listener) {
    if (attempts < 1) {
      throw new IllegalArgumentException("expected attempts >= 1, found " + attempts);
    }
    this.attempts = attempts;
    this.initial = initial;
    this.max = max;
    this.deadline = deadline;
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
    long start = System.nanoTime();
    for (int attempt = 1; ; attempt++) {
      try {
        return action.call();
      } catch (Exception e) {
        Throwable cause = unwrap(e);
        boolean timeLeft = System.nanoTime() - start + delay * 1_000_000 < deadline.toNanos();
        if (!retryable.test(cause) || (attempt >= attempts && !timeLeft)) {
          LOG.warn("{}: attempt {} failed, giving up: {}", what, attempt, cause.toString());
          throw e;
        }
        LOG.warn("{}: attempt {} failed, retrying in {} ms: {}", what, attempt, delay, cause.toString());
        listener.retrying(what, cause);
        Thread.sleep(delay);
        delay = Math.min(max.toMillis(), Math.max(1, delay * 2));
      }
    }
  }

  /** The cause of an ExecutionException (what a failed Kafka send reports), otherwise the error itself. */
  static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
