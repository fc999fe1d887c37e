package io.inkflow.common.health;

import java.util.List;

/**
 * One thing a service needs before it starts work (a topic, the registry). {@link #problems()} answers
 * what is wrong now, one sentence per problem saying what was expected and what was found; empty when
 * all is well. It may block for a bounded time (a request timeout), never indefinitely.
 */
@FunctionalInterface
public interface StartupCheck {
  List<String> problems();
}
