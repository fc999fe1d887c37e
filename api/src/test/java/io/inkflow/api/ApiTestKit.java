package io.inkflow.api;

import io.inkflow.api.auth.ApiTokens;
import io.inkflow.api.auth.RateLimiter;
import io.inkflow.api.http.ApiServer;
import io.inkflow.api.http.OpenApiRoutes;
import io.inkflow.api.submit.Submission;
import io.inkflow.api.submit.SubmissionRoutes;
import io.inkflow.api.view.ApiView;
import io.inkflow.api.view.ImageLinks;
import io.inkflow.api.view.ResultRoutes;
import io.inkflow.api.webhook.CallbackGuard;
import io.inkflow.streams.rewrite.PackPlanner;
import io.inkflow.streams.rewrite.PeLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** An API server on loopback with an in-memory sink and view, the tiny pack's planner and three tokens. */
final class ApiTestKit implements AutoCloseable {
  static final Path PACK = Path.of("..", "infra", "models", "tiny-mmdit-flow").toAbsolutePath().normalize();
  static final String SUBMITTER = "sub-token-0123456789";
  static final String VIEWER = "view-token-0123456789";
  static final String ANNOTATOR = "ann-token-0123456789";
  static final String LIMITED = "limited-token-0123456789";

  final ApiView view = new ApiView();
  final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  final List<Submission> written = new CopyOnWriteArrayList<>();
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-07T12:00:00Z"));
  final PackPlanner planner = PackPlanner.open(PACK, PeLimits.defaults());
  final ApiServer server;
  final HttpClient http = HttpClient.newHttpClient();

  ApiTestKit(long maxBodyBytes) {
    ApiTokens tokens = ApiTokens.parse(List.of(
        "# name roles hash [per-minute]",
        "alice submitter " + ApiTokens.hashHex(SUBMITTER, null),
        "victor viewer " + ApiTokens.hashHex(VIEWER, null),
        "anna annotator " + ApiTokens.hashHex(ANNOTATOR, null),
        "lim submitter,viewer " + ApiTokens.hashHex(LIMITED, null) + " 3"), null, "test");
    ImageLinks links = uri -> Optional.of(new ImageLinks.Link(URI.create("https://signed.example/" + uri.substring(5) + "?X-Amz-Expires=900"),
        clock.instant().plusSeconds(900)));
    server = ApiServer.start("127.0.0.1", 0, tokens, new RateLimiter(1000, clock), List.of(new OpenApiRoutes(),
        new SubmissionRoutes(view, written::add, planner, new CallbackGuard(List.of(), true), true,
            new SubmissionRoutes.Limits(maxBodyBytes, 20_000), clock, metrics),
        new ResultRoutes(view, links, Optional::empty)), metrics);
  }

  HttpResponse<String> send(String method, String path, String token, String contentType, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    server.close();
    planner.close();
  }

  /** A clock tests move by hand. */
  static final class MutableClock extends Clock {
    private volatile Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
