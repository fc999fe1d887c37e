package io.inkflow.common.health;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

/**
 * What a service's {@code /healthz} and {@code /readyz} answer. Readiness is the absence of problems:
 * start-up checks put theirs under their own names and clear them when resolved, and the service adds
 * a live condition (Streams state, consumer membership) that is asked on every probe.
 */
public final class ServiceHealth {
  private final Map<String, String> problems = new ConcurrentSkipListMap<>();
  private volatile Supplier<Optional<String>> readyCondition = () -> Optional.of("starting");
  private volatile Supplier<Optional<String>> liveCondition = Optional::empty;

  /** Records a problem that keeps the service unready, under {@code key} (replacing an earlier one there). */
  public void problem(String key, String message) {
    problems.put(key, message);
  }

  /** Clears the problem under {@code key}, if any. */
  public void resolved(String key) {
    problems.remove(key);
  }

  /** Sets the condition asked on every readiness probe once no problem is recorded: empty when ready, else why not. */
  public void readyWhen(Supplier<Optional<String>> condition) {
    readyCondition = condition;
  }

  /** Sets the condition asked on every liveness probe: empty when alive, else why the process should be restarted. */
  public void liveWhen(Supplier<Optional<String>> condition) {
    liveCondition = condition;
  }

  /** Empty when ready, else every reason it is not, one per line. */
  public Optional<String> notReady() {
    if (!problems.isEmpty()) {
      return Optional.of(String.join("\n", problems.values()));
    }
    return readyCondition.get();
  }

  /** Empty when alive, else why not. */
  public Optional<String> notLive() {
    return liveCondition.get();
  }
}
