package io.inkflow.api.console;

import io.inkflow.api.auth.Principal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The console's browser sessions, kept server-side: a random session id (the HttpOnly cookie) maps to the
 * principal of the API token that signed in and to the session's CSRF token. The API token itself is
 * never kept or shown. A session idle longer than its limit is gone.
 */
final class ConsoleSessions {
  /** One signed-in browser. */
  record Session(String id, Principal principal, String csrf, Instant lastSeen) {
    /** True when {@code given} is this session's CSRF token (constant-time). */
    boolean csrfMatches(String given) {
      return given != null && MessageDigest.isEqual(csrf.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }
  }

  private final SecureRandom random = new SecureRandom();
  private final ConcurrentMap<String, Session> sessions = new ConcurrentHashMap<>();
  private final Duration idle;

  ConsoleSessions(Duration idle) {
    this.idle = idle;
  }

  Session open(Principal principal, Instant now) {
    sessions.values().removeIf(s -> s.lastSeen().plus(idle).isBefore(now));
    Session s = new Session(randomId(), principal, randomId(), now);
    sessions.put(s.id(), s);
    return s;
  }

  Optional<Session> find(String id, Instant now) {
    if (id == null) {
      return Optional.empty();
    }
    Session s = sessions.get(id);
    if (s == null || s.lastSeen().plus(idle).isBefore(now)) {
      return Optional.empty();
    }
    Session touched = new Session(s.id(), s.principal(), s.csrf(), now);
    sessions.replace(id, s, touched);
    return Optional.of(touched);
  }

  void close(String id) {
    sessions.remove(id);
  }

  /** A fresh random token (256 bits, URL-safe Base64). */
  String newToken() {
    return randomId();
  }

  private String randomId() {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
