package io.inkflow.api.auth;

import java.util.Locale;

/**
 * What an API token may do. A viewer reads; a submitter reads and submits; an annotator reads and labels
 * (the labelling routes check it). A token holds one or more roles.
 */
public enum Role {
  VIEWER,
  SUBMITTER,
  ANNOTATOR;

  /** Parses a role name case-insensitively. */
  public static Role parse(String raw) {
    try {
      return valueOf(raw.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("role '" + raw + "': expected viewer, submitter or annotator", e);
    }
  }
}
