package io.inkflow.common.health;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class StartupGateTest {

  @Test
  void aProblemIsLoggedOnceWhileRetriedAndTheServiceStaysUnreadyUntilItGoes() {
    Logger logger = (Logger) LoggerFactory.getLogger(StartupGate.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      ServiceHealth health = new ServiceHealth();
      health.readyWhen(Optional::empty);
      AtomicInteger rounds = new AtomicInteger();
      List<String> seenUnready = new ArrayList<>();
      StartupCheck topic = () -> {
        int n = rounds.incrementAndGet();
        health.notReady().ifPresent(seenUnready::add);
        if (n <= 5) {
          return List.of("topic generation-jobs is missing");
        }
        return n <= 7 ? List.of("topic generation-jobs has 3 partitions, expected 6") : List.of();
      };
      StartupGate gate = new StartupGate("svc", List.of(topic), health, Duration.ofMillis(1), Duration.ofMillis(4));
      assertThat(gate.await(() -> false)).isTrue();

      assertThat(rounds).hasValue(8);
      assertThat(seenUnready).hasSize(8);
      assertThat(health.notReady()).isEmpty();
      List<String> errors = appender.list.stream().filter(e -> e.getLevel() == Level.ERROR).map(ILoggingEvent::getFormattedMessage).toList();
      assertThat(errors).containsExactly(
          "svc: not ready: topic generation-jobs is missing; retrying with backoff until it is fixed",
          "svc: not ready: topic generation-jobs has 3 partitions, expected 6; retrying with backoff until it is fixed");
    } finally {
      logger.detachAppender(appender);
    }
  }

  @Test
  void aStopEndsTheWaitUnready() {
    ServiceHealth health = new ServiceHealth();
    StartupGate gate = new StartupGate("svc", List.of(() -> List.of("schema registry http://x unreachable")), health,
        Duration.ofMillis(1), Duration.ofMillis(1));
    AtomicInteger polls = new AtomicInteger();
    assertThat(gate.await(() -> polls.incrementAndGet() > 3)).isFalse();
    assertThat(health.notReady()).hasValueSatisfying(r -> assertThat(r).contains("unreachable"));
  }
}
