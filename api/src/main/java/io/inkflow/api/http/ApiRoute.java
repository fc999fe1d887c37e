package io.inkflow.api.http;

import io.inkflow.api.auth.Role;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.Set;

/**
 * One route of the API: method, path (Javalin syntax, {@code /v1/batches/{id}}), the roles that may call
 * it (empty: no token needed) and its handler. The server authenticates, authorises and rate-limits
 * before the handler runs; the OpenAPI test checks every route against the served document.
 */
public record ApiRoute(HandlerType method, String path, Set<Role> roles, Handler handler) {
  public ApiRoute {
    roles = Set.copyOf(roles);
  }

  /** A route any of {@code roles} may call. */
  public static ApiRoute of(HandlerType method, String path, Handler handler, Role... roles) {
    return new ApiRoute(method, path, Set.of(roles), handler);
  }

  /** True when no token is needed. */
  public boolean open() {
    return roles.isEmpty();
  }
}
