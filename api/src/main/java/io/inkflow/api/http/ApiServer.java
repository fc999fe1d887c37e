package io.inkflow.api.http;

import io.inkflow.api.auth.ApiTokens;
import io.inkflow.api.auth.Principal;
import io.inkflow.api.auth.RateLimiter;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server (Javalin on Jetty): registers every {@link RouteGroup}'s routes behind one gate that
 * authenticates the bearer token (401), checks the route's roles (403) and the token's rate limit (429)
 * before the handler runs, and answers every error as a problem document. The token itself is never
 * logged or echoed; logs name the token's name only.
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
  /** Request attribute holding the authenticated {@link Principal}. */
  public static final String PRINCIPAL = "inkflow.principal";
  private static final String ROUTE = "inkflow.route";
  private static final String PROBLEM_JSON = "application/problem+json";

  private final Javalin app;
  private final List<ApiRoute> routes;

  private ApiServer(Javalin app, List<ApiRoute> routes) {
    this.app = app;
    this.routes = List.copyOf(routes);
  }

  /**
   * Builds and starts the server on {@code host:port} (port 0: a free one).
   *
   * @param groups the route groups, registered in order
   */
  public static ApiServer start(String host, int port, ApiTokens tokens, RateLimiter limiter, List<RouteGroup> groups,
      MeterRegistry metrics) {
    List<ApiRoute> routes = new ArrayList<>();
    groups.forEach(g -> routes.addAll(g.routes()));
    Javalin app = Javalin.create(config -> {
      config.startup.showJavalinBanner = false;
      config.jetty.host = host;
      config.jetty.port = port;
      config.router.ignoreTrailingSlashes = true;
      for (ApiRoute route : routes) {
        config.routes.addHttpHandler(route.method(), route.path(), ctx -> {
          ctx.attribute(ROUTE, route.path());
          if (!route.open()) {
            Principal principal = authenticate(ctx, tokens);
            if (!principal.mayAny(route.roles())) {
              throw new Problem(403, "forbidden", "Forbidden", "token " + principal.name() + " lacks the role this call needs: one of "
                  + route.roles().stream().map(r -> r.name().toLowerCase(Locale.ROOT)).sorted().toList());
            }
            Duration wait = limiter.acquire(principal);
            if (!wait.isZero()) {
              long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
              throw new Problem(429, "rate-limited", "Too many requests", "token " + principal.name()
                  + " is over its rate limit; retry after " + seconds + " s", List.of(), Map.of("Retry-After", Long.toString(seconds)));
            }
            ctx.attribute(PRINCIPAL, principal);
          }
          route.handler().handle(ctx);
        });
      }
      // One timer per route and status: the Prometheus view of what callers get.
      config.requestLogger.http((ctx, ms) -> Timer.builder("inkflow.api.requests").description("API calls by route and status")
          .tag("method", ctx.method().name()).tag("route", Optional.ofNullable(ctx.<String>attribute(ROUTE)).orElse("unmatched"))
          .tag("status", Integer.toString(ctx.statusCode())).register(metrics).record(Duration.ofNanos((long) (ms * 1_000_000))));
      config.routes.exception(Problem.class, (e, ctx) -> answer(ctx, e));
      config.routes.exception(Exception.class, (e, ctx) -> {
        LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
        answer(ctx, new Problem(500, "internal", "Internal error", "the server failed to answer; the error is logged"));
      });
      config.routes.error(404, ctx -> {
        if (ctx.result() == null) {
          answer(ctx, Problem.notFound("no route " + ctx.method() + " " + ctx.path()));
        }
      });
      config.routes.error(405, ctx -> answer(ctx, new Problem(405, "method-not-allowed", "Method not allowed",
          ctx.method() + " is not allowed on " + ctx.path())));
    });
    app.start();
    LOG.info("API listening on http://{}:{} ({} routes)", host, app.port(), routes.size());
    return new ApiServer(app, routes);
  }

  private static Principal authenticate(Context ctx, ApiTokens tokens) {
    String header = ctx.header("Authorization");
    if (header == null || header.isBlank()) {
      throw unauthorized("no Authorization header; expected 'Authorization: Bearer <token>'");
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthorized("the Authorization header is not a Bearer token");
    }
    return tokens.authenticate(header.substring(7).strip())
        .orElseThrow(() -> unauthorized("the bearer token is not valid"));
  }

  private static Problem unauthorized(String detail) {
    return new Problem(401, "unauthorized", "Unauthorized", detail, List.of(), Map.of("WWW-Authenticate", "Bearer realm=\"inkflow\""));
  }

  /** Writes {@code p} as a problem document. */
  public static void answer(Context ctx, Problem p) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", Problem.TYPE_BASE + p.type());
    body.put("title", p.title());
    body.put("status", p.status());
    body.put("detail", p.getMessage());
    body.put("instance", ctx.path());
    if (!p.errors().isEmpty()) {
      body.put("errors", p.errors());
    }
    p.headers().forEach(ctx::header);
    ctx.status(p.status()).contentType(PROBLEM_JSON).result(Json.bytes(body));
  }

  /** The authenticated caller of a route that needs a token. */
  public static Principal principal(Context ctx) {
    return ctx.attribute(PRINCIPAL);
  }

  /** The port the server listens on. */
  public int port() {
    return app.port();
  }

  /** Every registered route, in registration order. */
  public List<ApiRoute> routes() {
    return routes;
  }

  /** Routes as "METHOD path" strings. */
  public List<String> routeKeys() {
    return routes.stream().map(r -> r.method().name() + " " + r.path()).toList();
  }

  @Override
  public void close() {
    app.stop();
  }
}
