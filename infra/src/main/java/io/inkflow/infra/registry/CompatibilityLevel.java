package io.inkflow.infra.registry;

import java.util.Arrays;
import java.util.Locale;

/** The compatibility rules of the Confluent Schema Registry API. */
public enum CompatibilityLevel {
  NONE,
  BACKWARD,
  BACKWARD_TRANSITIVE,
  FORWARD,
  FORWARD_TRANSITIVE,
  FULL,
  FULL_TRANSITIVE;

  /** Parses a level case-insensitively; '-' and ' ' are accepted for '_'. */
  public static CompatibilityLevel parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("compatibility level is empty; expected one of " + Arrays.toString(values()));
    }
    String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_').replace(' ', '_');
    try {
      return valueOf(norm);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown compatibility level '" + text + "'; expected one of " + Arrays.toString(values()), e);
    }
  }

  boolean checksBackward() {
    return this == BACKWARD || this == BACKWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
  }

  boolean checksForward() {
    return this == FORWARD || this == FORWARD_TRANSITIVE || this == FULL || this == FULL_TRANSITIVE;
  }

  boolean transitive() {
    return this == BACKWARD_TRANSITIVE || this == FORWARD_TRANSITIVE || this == FULL_TRANSITIVE;
  }
}
