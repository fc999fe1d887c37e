package io.inkflow.api.auth;

import java.util.Set;

/**
 * The caller behind a token: its name (recorded on submissions, shown in logs; never the token), roles and
 * its own rate limit.
 *
 * @param ratePerMinute requests per minute this token may make; 0: the service default
 */
public record Principal(String name, Set<Role> roles, int ratePerMinute) {
  public Principal {
    if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new IllegalArgumentException("token name '" + name + "': expected 1-64 of [A-Za-z0-9._-]");
    }
    roles = Set.copyOf(roles);
    if (roles.isEmpty()) {
      throw new IllegalArgumentException("token " + name + " has no role");
    }
    if (ratePerMinute < 0) {
      throw new IllegalArgumentException("token " + name + ": rate per minute must be >= 0, found " + ratePerMinute);
    }
  }

  /** True when the token holds any of {@code allowed}. */
  public boolean mayAny(Set<Role> allowed) {
    return allowed.stream().anyMatch(roles::contains);
  }
}
