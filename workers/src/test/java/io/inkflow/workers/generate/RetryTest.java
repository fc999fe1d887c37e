package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RetryTest {
  final AtomicInteger retries = new AtomicInteger();

  private Retry retry(int attempts, Duration deadline) {
    return new Retry(attempts, Duration.ofMillis(1), Duration.ofMillis(4), deadline, (what, e) -> retries.incrementAndGet());
  }

  /** Fails with an IOException until call number {@code okAt}. */
  private static java.util.concurrent.Callable<String> okAt(int okAt, AtomicInteger calls) {
    return () -> {
      if (calls.incrementAndGet() < okAt) {
        throw new IOException("down");
      }
      return "ok";
    };
  }

  @Test
  void withoutADeadlineItGivesUpAfterItsAttempts() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> retry(3, Duration.ZERO).call("upload", e -> true, okAt(10, calls))).isInstanceOf(IOException.class);
    assertThat(calls).hasValue(3);
    assertThat(retries).hasValue(2);
  }

  @Test
  void anOutageLongerThanItsAttemptsIsRiddenOutWithinTheDeadline() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    assertThat(retry(3, Duration.ofSeconds(30)).call("upload", e -> true, okAt(12, calls))).isEqualTo("ok");
    assertThat(calls).hasValue(12);
  }

  @Test
  void theDeadlineEndsAnOutageThatLastsLonger() {
    AtomicInteger calls = new AtomicInteger();
    long start = System.nanoTime();
    assertThatThrownBy(() -> retry(2, Duration.ofMillis(200)).call("upload", e -> true, okAt(Integer.MAX_VALUE, calls)))
        .isInstanceOf(IOException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    assertThat(calls.get()).isGreaterThan(2);
  }

  @Test
  void anErrorThatIsNotRetryableIsThrownAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(() -> retry(5, Duration.ofSeconds(30)).call("upload", e -> false, okAt(3, calls))).isInstanceOf(IOException.class);
    assertThat(calls).hasValue(1);
  }
}
