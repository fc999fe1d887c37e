package io.inkflow.common.health;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds a service back until its {@link StartupCheck}s pass, instead of letting it crash-loop on a
 * misconfigured deployment (topic missing, wrong partition count, registry unreachable). While a check
 * fails the service is unready, each distinct problem is logged once at ERROR (not once per retry), and
 * the checks are retried with exponential backoff; a problem that goes away is logged once at INFO.
 */
public final class StartupGate {
  private static final Logger LOG = LoggerFactory.getLogger(StartupGate.class);
  static final String KEY = "startup";

  private final String service;
  private final List<StartupCheck> checks;
  private final ServiceHealth health;
  private final Duration backoff;
  private final Duration backoffMax;

  public StartupGate(String service, List<StartupCheck> checks, ServiceHealth health, Duration backoff, Duration backoffMax) {
    this.service = service;
    this.checks = List.copyOf(checks);
    this.health = health;
    this.backoff = backoff;
    this.backoffMax = backoffMax;
  }

  /** Retries from 1 s up to 30 s between rounds. */
  public StartupGate(String service, List<StartupCheck> checks, ServiceHealth health) {
    this(service, checks, health, Duration.ofSeconds(1), Duration.ofSeconds(30));
  }

  /**
   * Returns true once every check passes, or false when {@code stopped} turns true first (or the thread
   * is interrupted, whose flag is kept).
   */
  public boolean await(BooleanSupplier stopped) {
    Set<String> reported = new LinkedHashSet<>();
    long pause = backoff.toMillis();
    health.problem(KEY, service + ": checking topics and registry");
    while (!stopped.getAsBoolean()) {
      Set<String> now = new LinkedHashSet<>();
      for (StartupCheck check : checks) {
        try {
          now.addAll(check.problems());
        } catch (RuntimeException e) {
          now.add(service + ": a start-up check failed: " + e);
        }
      }
      for (String problem : now) {
        if (reported.add(problem)) {
          LOG.error("{}: not ready: {}; retrying with backoff until it is fixed", service, problem);
        }
      }
      for (String gone : List.copyOf(reported)) {
        if (!now.contains(gone)) {
          reported.remove(gone);
          LOG.info("{}: resolved: {}", service, gone);
        }
      }
      if (now.isEmpty()) {
        health.resolved(KEY);
        return true;
      }
      health.problem(KEY, String.join("\n", now));
      // Slept in short steps, so that a stop asked during a long backoff ends the wait at once.
      long until = System.nanoTime() + pause * 1_000_000;
      while (!stopped.getAsBoolean() && System.nanoTime() < until) {
        try {
          Thread.sleep(Math.min(100, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      pause = Math.min(backoffMax.toMillis(), pause * 2);
    }
    return false;
  }
}
