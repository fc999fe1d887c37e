package io.inkflow.api.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SequenceWriter;
import io.inkflow.api.auth.ApiTokens;
import io.inkflow.api.auth.Principal;
import io.inkflow.api.auth.RateLimiter;
import io.inkflow.api.auth.Role;
import io.inkflow.api.console.ConsoleSessions.Session;
import io.inkflow.api.http.ApiRoute;
import io.inkflow.api.http.ApiServer;
import io.inkflow.api.http.Json;
import io.inkflow.api.http.Problem;
import io.inkflow.api.http.RouteGroup;
import io.inkflow.api.submit.SubmissionRoutes;
import io.inkflow.api.view.ApiView;
import io.inkflow.api.view.ApiView.BatchProgress;
import io.inkflow.api.view.ApiView.ImageFacts;
import io.inkflow.api.view.ImageLinks;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ReviewDecision;
import io.inkflow.avro.Verdict;
import io.inkflow.streams.export.DatasetRows;
import io.inkflow.streams.export.PreferenceExporter;
import io.inkflow.streams.labels.Agreement;
import io.inkflow.streams.labels.Kappa;
import io.inkflow.streams.labels.LabelPair;
import io.inkflow.streams.labels.PairQueue;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console under {@code /console/}: server-rendered pages (Thymeleaf, escaping every value) for
 * watching batches, their gallery, bad-case review, pairwise preference labelling, agreement and the
 * export of people's labels.
 *
 * <p>Browsers sign in with an API token on a form; the token is checked against the same hashed token file
 * as the API, and the browser gets an HttpOnly, SameSite=Strict session cookie that maps server-side to
 * the token's principal (the token is never kept, logged or rendered). Every page checks the session's
 * roles (viewer reads, annotator labels and reviews, submitter uploads) and the token's rate limit; every
 * state-changing POST carries the session's CSRF token (a form field or the {@code X-CSRF-Token} header),
 * checked here, or is refused with 403. Pages forbid inline scripts by their Content-Security-Policy.
 */
public final class ConsoleRoutes implements RouteGroup {
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleRoutes.class);
  /** The session cookie's name. */
  public static final String COOKIE = "inkflow_console";
  /** The sign-in form's double-submit CSRF cookie. */
  static final String LOGIN_COOKIE = "inkflow_console_login";
  /** The header a script sends its CSRF token in. */
  public static final String CSRF_HEADER = "X-CSRF-Token";
  static final String CSRF_FIELD = "_csrf";
  /** Requests per gallery page: a page presigns two links per request at most. */
  static final int GALLERY_PAGE = 50;
  /** Links kept at most (a few MB); the cache starts afresh when full. */
  private static final int LINK_CACHE_MAX = 20_000;
  private static final Pattern LABEL_ID = Pattern.compile("[A-Za-z0-9-]{8,64}");
  private static final Set<Role> ANY = Set.of(Role.VIEWER, Role.SUBMITTER, Role.ANNOTATOR);
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' http: https: data:; "
      + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final ApiView view;
  private final ApiTokens tokens;
  private final RateLimiter limiter;
  private final SubmissionRoutes submissions;
  private final ImageLinks links;
  private final LabelSink sink;
  private final Clock clock;
  /** Why the view is not ready yet: until it has caught up, pages answer 503 (a queue fed early would re-serve judged pairs). */
  private final Supplier<Optional<String>> notReady;
  private final ConsolePages pages = new ConsolePages();
  private final ConsoleSessions sessions;
  private final PairQueue queue;
  /** The pairs handed to the queue, by pair id: an answer names its pair. */
  private final Map<String, LabelPair> pairs = new ConcurrentHashMap<>();
  /** Presigned links by s3:// URI, reused for the first half of their lifetime. */
  private final Map<String, CachedLink> linkCache = new ConcurrentHashMap<>();
  private final Object feedLock = new Object();
  private final List<String> waitingForImages = new ArrayList<>();
  private int resultsFed;
  private int preferencesFed;

  public ConsoleRoutes(ApiView view, ApiTokens tokens, RateLimiter limiter, SubmissionRoutes submissions, ImageLinks links,
      LabelSink sink, PairQueue.Settings pairSettings, Clock clock, Supplier<Optional<String>> notReady) {
    this.view = view;
    this.notReady = notReady;
    this.tokens = tokens;
    this.limiter = limiter;
    this.submissions = submissions;
    this.links = links;
    this.sink = sink;
    this.clock = clock;
    this.sessions = new ConsoleSessions(Duration.ofHours(12));
    this.queue = new PairQueue(pairSettings);
  }

  @Override
  public List<ApiRoute> routes() {
    // Open to the API's bearer gate: the console's own gate below checks the session, roles, rate and CSRF.
    return List.of(
        open(HandlerType.GET, "/console", this::home),
        open(HandlerType.GET, "/console/static/{file}", this::asset),
        open(HandlerType.POST, "/console/login", this::login),
        open(HandlerType.POST, "/console/logout", gate(true, ANY, this::logout)),
        open(HandlerType.GET, "/console/batches", gate(false, ANY, this::batches)),
        open(HandlerType.GET, "/console/batches/{id}", gate(false, ANY, this::batch)),
        open(HandlerType.GET, "/console/batches/{id}/progress", gate(false, ANY, this::progressJson)),
        open(HandlerType.GET, "/console/batches/{id}/gallery", gate(false, ANY, this::gallery)),
        open(HandlerType.GET, "/console/batches/{id}/agreement", gate(false, ANY, this::agreement)),
        open(HandlerType.GET, "/console/batches/{id}/export", gate(false, ANY, this::export)),
        open(HandlerType.GET, "/console/batches/{id}/review", gate(false, Set.of(Role.ANNOTATOR), this::review)),
        open(HandlerType.POST, "/console/review", gate(true, Set.of(Role.ANNOTATOR), this::postReview)),
        open(HandlerType.GET, "/console/upload", gate(false, Set.of(Role.SUBMITTER), this::uploadForm)),
        open(HandlerType.POST, "/console/upload", gate(true, Set.of(Role.SUBMITTER), this::upload)),
        open(HandlerType.GET, "/console/label", gate(false, Set.of(Role.ANNOTATOR), this::labelPage)),
        open(HandlerType.GET, "/console/label/next", gate(false, Set.of(Role.ANNOTATOR), this::nextPair)),
        open(HandlerType.POST, "/console/label", gate(true, Set.of(Role.ANNOTATOR), this::answer)));
  }

  private static ApiRoute open(HandlerType method, String path, Handler handler) {
    return new ApiRoute(method, path, Set.of(), handler);
  }

  /** The console's gate: a live session (else a GET goes to the sign-in page, a POST gets 401), a role, the rate, CSRF on POSTs. */
  private Handler gate(boolean post, Set<Role> roles, Handler handler) {
    return ctx -> {
      headers(ctx);
      Optional<Session> found = sessions.find(ctx.cookie(COOKIE), clock.instant());
      if (found.isEmpty()) {
        if (!post && !ctx.path().endsWith("/progress") && !ctx.path().endsWith("/next")) {
          ctx.redirect("/console", HttpStatus.SEE_OTHER);
          return;
        }
        throw new Problem(401, "unauthorized", "Unauthorized", "no console session; sign in at /console");
      }
      Session s = found.get();
      Optional<String> why = notReady.get();
      if (why.isPresent()) {
        throw new Problem(503, "not-ready", "Not ready", why.get(), List.of(), Map.of("Retry-After", "1"));
      }
      if (!s.principal().mayAny(roles)) {
        throw new Problem(403, "forbidden", "Forbidden", s.principal().name() + " lacks the role this page needs: one of "
            + roles.stream().map(r -> r.name().toLowerCase(Locale.ROOT)).sorted().toList());
      }
      Duration wait = limiter.acquire(s.principal());
      if (!wait.isZero()) {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        throw new Problem(429, "rate-limited", "Too many requests", s.principal().name() + " is over its rate limit; retry after "
            + seconds + " s", List.of(), Map.of("Retry-After", Long.toString(seconds)));
      }
      if (post) {
        String given = Optional.ofNullable(ctx.header(CSRF_HEADER)).orElseGet(() -> formField(ctx, CSRF_FIELD));
        if (!s.csrfMatches(given)) {
          throw new Problem(403, "csrf", "Forbidden", "the form's CSRF token is missing or wrong; reload the page and try again");
        }
      }
      ctx.attribute(ApiServer.PRINCIPAL, s.principal());
      ctx.attribute(SESSION, s);
      handler.handle(ctx);
    };
  }

  private static final String SESSION = "inkflow.console.session";

  private static String formField(Context ctx, String name) {
    String type = Optional.ofNullable(ctx.contentType()).orElse("");
    return type.startsWith("application/x-www-form-urlencoded") ? ctx.formParam(name) : null;
  }

  private static void headers(Context ctx) {
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Cache-Control", "no-store");
  }

  private void render(Context ctx, String template, Map<String, Object> vars) {
    Session s = ctx.attribute(SESSION);
    Map<String, Object> all = new HashMap<>(vars);
    if (s != null) {
      all.put("user", s.principal().name());
      all.put("csrf", s.csrf());
      all.put("roles", s.principal().roles().stream().map(r -> r.name().toLowerCase(Locale.ROOT)).sorted().toList());
      all.put("annotator", s.principal().roles().contains(Role.ANNOTATOR));
      all.put("submitter", s.principal().roles().contains(Role.SUBMITTER));
    }
    ctx.contentType("text/html; charset=utf-8").result(pages.render(template, all));
  }

  // --- sign in ---

  private void home(Context ctx) {
    headers(ctx);
    if (sessions.find(ctx.cookie(COOKIE), clock.instant()).isPresent()) {
      ctx.redirect("/console/batches", HttpStatus.SEE_OTHER);
      return;
    }
    loginForm(ctx, null);
  }

  /**
   * The sign-in form, protected against login CSRF by a double-submit token: a random value in a
   * short-lived HttpOnly, SameSite=Strict cookie and in the form; the POST must carry both, equal.
   */
  private void loginForm(Context ctx, String error) {
    String token = sessions.newToken();
    ctx.header("Set-Cookie", LOGIN_COOKIE + "=" + token + "; Path=/console; HttpOnly; SameSite=Strict; Max-Age=3600" + secure(ctx));
    Map<String, Object> vars = new HashMap<>();
    vars.put("loginCsrf", token);
    if (error != null) {
      vars.put("error", error);
    }
    render(ctx, "login", vars);
  }

  private void login(Context ctx) {
    headers(ctx);
    String cookie = ctx.cookie(LOGIN_COOKIE);
    String given = formField(ctx, CSRF_FIELD);
    if (cookie == null || given == null || !MessageDigest.isEqual(cookie.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8))) {
      throw new Problem(403, "csrf", "Forbidden", "the sign-in form's CSRF token is missing or wrong; reload /console and try again");
    }
    String token = Optional.ofNullable(formField(ctx, "token")).orElse("").strip();
    Optional<Principal> who = token.isEmpty() ? Optional.empty() : tokens.authenticate(token);
    if (who.isEmpty()) {
      LOG.info("console sign-in refused from {}", ctx.ip());
      ctx.status(401);
      loginForm(ctx, "That token is not valid.");
      return;
    }
    Session s = sessions.open(who.get(), clock.instant());
    LOG.info("console sign-in: {}", who.get().name());
    ctx.res().addHeader("Set-Cookie", LOGIN_COOKIE + "=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0" + secure(ctx));
    ctx.res().addHeader("Set-Cookie", COOKIE + "=" + s.id() + "; Path=/console; HttpOnly; SameSite=Strict" + secure(ctx));
    ctx.redirect("/console/batches", HttpStatus.SEE_OTHER);
  }

  /** Cookies are marked Secure when the browser reached the console over HTTPS (directly or through a proxy that says so). */
  private static String secure(Context ctx) {
    boolean https = "https".equalsIgnoreCase(ctx.scheme()) || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
    return https ? "; Secure" : "";
  }

  private void logout(Context ctx) {
    Session s = ctx.attribute(SESSION);
    sessions.close(s.id());
    ctx.header("Set-Cookie", COOKIE + "=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0" + secure(ctx));
    ctx.redirect("/console", HttpStatus.SEE_OTHER);
  }

  private void asset(Context ctx) throws IOException {
    headers(ctx);
    String file = ctx.pathParam("file");
    String type = switch (file) {
      case "console.js" -> "text/javascript; charset=utf-8";
      case "console.css" -> "text/css; charset=utf-8";
      default -> throw Problem.notFound("no console asset " + file);
    };
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream("static/" + file)) {
      if (in == null) {
        throw Problem.notFound("no console asset " + file);
      }
      ctx.header("Cache-Control", "max-age=300");
      ctx.contentType(type).result(in.readAllBytes());
    }
  }

  // --- batches ---

  private void batches(Context ctx) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String id : view.batchIds()) {
      view.progress(id).ifPresent(p -> rows.add(progressRow(id, p)));
    }
    render(ctx, "batches", Map.of("batches", rows));
  }

  private static Map<String, Object> progressRow(String id, BatchProgress p) {
    Map<String, Object> row = new LinkedHashMap<>();
    Integer expected = p.submitted() != null ? Integer.valueOf(p.submitted().getExpectedCount()) : null;
    row.put("id", id);
    row.put("expected", expected);
    row.put("done", p.done());
    row.put("complete", p.result() != null);
    row.put("percent", expected == null || expected == 0 ? (p.result() != null ? 100 : 0) : Math.min(100, p.done() * 100 / expected));
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (RequestStatus s : RequestStatus.values()) {
      if (p.counts().containsKey(s)) {
        counts.put(s.name(), p.counts().get(s));
      }
    }
    row.put("counts", counts);
    row.put("submitter", p.submitted() != null ? p.submitted().getSubmitter() : null);
    return row;
  }

  private BatchProgress progressOf(Context ctx) {
    String id = ctx.pathParam("id");
    return view.progress(id).orElseThrow(() -> Problem.notFound("no batch " + id));
  }

  private void batch(Context ctx) {
    String id = ctx.pathParam("id");
    BatchProgress p = progressOf(ctx);
    render(ctx, "batch", Map.of("b", progressRow(id, p)));
  }

  private void progressJson(Context ctx) {
    String id = ctx.pathParam("id");
    ctx.contentType("application/json").result(Json.bytes(progressRow(id, progressOf(ctx))));
  }

  // --- gallery ---

  private void gallery(Context ctx) {
    String id = ctx.pathParam("id");
    progressOf(ctx);
    List<RequestResult> results = new ArrayList<>(view.requestsOf(id));
    results.sort(Comparator.comparing(RequestResult::getRequestId));
    int pageCount = Math.max(1, (results.size() + GALLERY_PAGE - 1) / GALLERY_PAGE);
    int page = Math.min(pageCount, Math.max(1, intParam(ctx, "page", 1)));
    List<Map<String, Object>> cards = new ArrayList<>();
    for (RequestResult r : results.subList((page - 1) * GALLERY_PAGE, Math.min(results.size(), page * GALLERY_PAGE))) {
      cards.add(card(r));
    }
    Map<String, Object> vars = new HashMap<>();
    vars.put("batchId", id);
    vars.put("cards", cards);
    vars.put("page", page);
    vars.put("pages", pageCount);
    vars.put("total", results.size());
    render(ctx, "gallery", vars);
  }

  private Map<String, Object> card(RequestResult r) {
    Map<String, ImageFacts> facts = view.imagesOf(r.getRequestId());
    ImageFacts any = facts.values().stream().findFirst().orElse(null);
    Map<String, Object> card = new LinkedHashMap<>();
    card.put("requestId", r.getRequestId());
    card.put("status", r.getStatus().name());
    card.put("reason", r.getReasonMessage());
    card.put("prompt", any == null ? null : any.originalPrompt());
    card.put("rewritten", any == null ? null : any.rewrittenPrompt());
    card.put("language", any == null ? null : any.language());
    RankedVariant best = r.getBestVariant();
    card.put("best", best == null ? null : variant(best, facts.get(best.getJobId())));
    List<Map<String, Object>> others = new ArrayList<>();
    for (RankedVariant v : r.getVariants()) {
      if (best == null || !v.getJobId().equals(best.getJobId())) {
        others.add(variant(v, facts.get(v.getJobId())));
      }
    }
    card.put("others", others);
    return card;
  }

  private Map<String, Object> variant(RankedVariant v, ImageFacts facts) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jobId", v.getJobId());
    m.put("variant", v.getVariant());
    m.put("url", link(v.getImageUri()));
    m.put("score", format(v.getScore()));
    m.put("verdict", v.getVerdict().name());
    Map<String, String> scores = new LinkedHashMap<>();
    if (facts != null) {
      facts.scores().forEach((k, s) -> scores.put(k, format(s)));
    }
    m.put("scores", scores);
    m.put("reasons", facts == null ? List.of() : facts.reasonCodes());
    return m;
  }

  /**
   * A presigned link for {@code s3Uri}: a gallery page shows a hundred images and signing them all on every
   * call dominated its time (docs/benchmarks.md), so a link is reused for the first half of its lifetime (a
   * page never hands out a link about to expire).
   */
  private String link(String s3Uri) {
    if (s3Uri == null) {
      return null;
    }
    Instant now = clock.instant();
    CachedLink cached = linkCache.get(s3Uri);
    if (cached != null && now.isBefore(cached.reuseUntil())) {
      return cached.url();
    }
    Optional<ImageLinks.Link> fresh = links.link(s3Uri);
    if (fresh.isEmpty()) {
      return null;
    }
    if (linkCache.size() >= LINK_CACHE_MAX) {
      linkCache.clear();
    }
    Instant reuseUntil = now.plus(Duration.between(now, fresh.get().expiresAt()).dividedBy(2));
    linkCache.put(s3Uri, new CachedLink(fresh.get().url().toString(), reuseUntil));
    return fresh.get().url().toString();
  }

  private record CachedLink(String url, Instant reuseUntil) {}

  private static String format(Double d) {
    return d == null ? null : String.format(Locale.ROOT, "%.3f", d);
  }

  private static int intParam(Context ctx, String name, int fallback) {
    String raw = ctx.queryParam(name);
    try {
      return raw == null ? fallback : Integer.parseInt(raw);
    } catch (NumberFormatException e) {
      throw Problem.badRequest(name + " '" + raw + "': expected a whole number");
    }
  }

  // --- bad-case review ---

  private void review(Context ctx) {
    String id = ctx.pathParam("id");
    progressOf(ctx);
    List<RequestResult> results = new ArrayList<>(view.requestsOf(id));
    results.sort(Comparator.comparing(RequestResult::getRequestId));
    List<RankedVariant> all = new ArrayList<>();
    for (RequestResult r : results) {
      r.getVariants().stream().filter(v -> v.getVerdict() == Verdict.BAD_CASE).forEach(all::add);
    }
    int pageCount = Math.max(1, (all.size() + GALLERY_PAGE - 1) / GALLERY_PAGE);
    int page = Math.min(pageCount, Math.max(1, intParam(ctx, "page", 1)));
    List<Map<String, Object>> cases = new ArrayList<>();
    for (RankedVariant v : all.subList((page - 1) * GALLERY_PAGE, Math.min(all.size(), page * GALLERY_PAGE))) {
      ImageFacts f = view.image(v.getJobId()).orElse(null);
      Map<String, Object> m = variant(v, f);
      m.put("requestId", f == null ? null : f.requestId());
      m.put("prompt", f == null ? null : f.originalPrompt());
      view.review(v.getJobId()).ifPresent(h -> {
        m.put("decision", h.getDecision().name());
        m.put("reviewer", h.getReviewer());
        m.put("note", h.getReason());
      });
      cases.add(m);
    }
    render(ctx, "review", Map.of("batchId", id, "cases", cases, "page", page, "pages", pageCount, "total", all.size()));
  }

  private void postReview(Context ctx) {
    Session s = ctx.attribute(SESSION);
    String jobId = Optional.ofNullable(ctx.formParam("jobId")).orElse("");
    ImageFacts f = view.image(jobId).orElseThrow(() -> Problem.notFound("no scored image " + jobId));
    ReviewDecision decision = switch (Optional.ofNullable(ctx.formParam("decision")).orElse("")) {
      case "confirm" -> ReviewDecision.CONFIRMED;
      case "overturn" -> ReviewDecision.OVERTURNED;
      default -> throw Problem.badRequest("decision: expected confirm or overturn");
    };
    String reason = Optional.ofNullable(ctx.formParam("reason")).map(String::strip).filter(t -> !t.isEmpty()).orElse(null);
    if (reason != null && reason.length() > 2000) {
      throw Problem.badRequest("reason: at most 2000 characters, found " + reason.length());
    }
    long shownAt = Optional.ofNullable(ctx.formParam("shownAt")).map(Long::parseLong).orElse(0L);
    Instant now = clock.instant();
    HumanVerdict v = HumanVerdict.newBuilder()
        .setReviewId(jobId + ":" + s.principal().name() + ":" + now.toEpochMilli())
        .setJobId(jobId).setRequestId(f.requestId()).setBatchId(f.batchId()).setOriginalPrompt(f.originalPrompt())
        .setImageUri(f.imageUri()).setModelVerdict(f.verdict()).setOverallScore(f.overallScore()).setReasonCodes(f.reasonCodes())
        .setDecision(decision).setReason(reason).setReviewer(s.principal().name())
        .setTimeTakenMs(shownAt > 0 ? Math.max(0, now.toEpochMilli() - shownAt) : 0).setReviewedAt(now).build();
    sink.send(v);
    view.apply(v);
    ctx.redirect("/console/batches/" + f.batchId() + "/review", HttpStatus.SEE_OTHER);
  }

  // --- upload ---

  private void uploadForm(Context ctx) {
    render(ctx, "upload", Map.of());
  }

  /** The upload page's script posts the file's bytes here; the answer is the API's own ({@code POST /v1/batches}). */
  private void upload(Context ctx) throws Exception {
    submissions.postBatch(ctx);
  }

  // --- pairwise labelling ---

  private void labelPage(Context ctx) {
    render(ctx, "label", Map.of());
  }

  /** Feeds the queue what the view gained since the last call: pairs of finished requests, then judgements read back. */
  private void feed() {
    synchronized (feedLock) {
      List<String> fresh = view.resultsSince(resultsFed);
      resultsFed += fresh.size();
      List<String> todo = new ArrayList<>(waitingForImages);
      todo.addAll(fresh);
      waitingForImages.clear();
      for (String requestId : todo) {
        RequestResult r = view.request(requestId).orElse(null);
        if (r == null) {
          continue;
        }
        Map<String, ImageFacts> facts = view.imagesOf(requestId);
        boolean allKnown = r.getVariants().stream().filter(v -> v.getImageUri() != null).allMatch(v -> facts.containsKey(v.getJobId()));
        if (!allKnown) {
          // The request's result was read before its images' scores: try again on the next call.
          waitingForImages.add(requestId);
          continue;
        }
        ImageFacts any = facts.values().stream().findFirst().orElse(null);
        if (any == null) {
          continue;
        }
        for (LabelPair p : LabelPair.of(r, any.originalPrompt(), any.rewrittenPrompt())) {
          pairs.putIfAbsent(p.pairId(), p);
          queue.add(p);
        }
      }
      List<HumanPreference> judged = view.preferencesSince(preferencesFed);
      preferencesFed += judged.size();
      judged.forEach(queue::record);
    }
  }

  private void nextPair(Context ctx) {
    Session s = ctx.attribute(SESSION);
    ctx.contentType("application/json").result(Json.bytes(next(s.principal().name())));
  }

  private Map<String, Object> next(String annotator) {
    feed();
    Optional<LabelPair> next = queue.next(annotator, clock.instant());
    Map<String, Object> out = new LinkedHashMap<>();
    PairQueue.Progress progress = queue.progress();
    out.put("pairs", progress.pairs());
    out.put("complete", progress.complete());
    if (next.isEmpty()) {
      out.put("done", true);
      return out;
    }
    LabelPair p = next.get();
    // Sides are shuffled so that position does not decide; the answer says which side was which.
    boolean swapped = ThreadLocalRandom.current().nextBoolean();
    LabelPair.Image left = swapped ? p.image1() : p.image0();
    LabelPair.Image right = swapped ? p.image0() : p.image1();
    out.put("done", false);
    out.put("pairId", p.pairId());
    out.put("swapped", swapped);
    out.put("prompt", p.originalPrompt());
    out.put("rewritten", p.rewrittenPrompt());
    out.put("batchId", p.batchId());
    out.put("left", link(left.uri()));
    out.put("right", link(right.uri()));
    return out;
  }

  /** One answer (JSON: labelId, pairId, swapped, key 1/2/0/s, timeTakenMs); the reply is the next pair at once. */
  private void answer(Context ctx) {
    Session s = ctx.attribute(SESSION);
    JsonNode body;
    try {
      body = Json.MAPPER.readTree(ctx.bodyAsBytes());
    } catch (IOException e) {
      throw Problem.badRequest("expected a JSON body: " + e.getMessage());
    }
    String labelId = body.path("labelId").asText("");
    if (!LABEL_ID.matcher(labelId).matches()) {
      throw Problem.badRequest("labelId '" + labelId + "': expected 8-64 of [A-Za-z0-9-]");
    }
    String pairId = body.path("pairId").asText("");
    LabelPair pair = pairs.get(pairId);
    if (pair == null) {
      throw Problem.notFound("no pair " + pairId);
    }
    boolean swapped = body.path("swapped").asBoolean(false);
    PreferenceChoice choice = switch (body.path("key").asText("")) {
      case "1" -> swapped ? PreferenceChoice.IMAGE_1 : PreferenceChoice.IMAGE_0;
      case "2" -> swapped ? PreferenceChoice.IMAGE_0 : PreferenceChoice.IMAGE_1;
      case "0" -> PreferenceChoice.TIE;
      case "s" -> PreferenceChoice.SKIP;
      default -> throw Problem.badRequest("key: expected 1, 2, 0 or s");
    };
    long taken = Math.max(0, Math.min(Duration.ofHours(24).toMillis(), body.path("timeTakenMs").asLong(0)));
    HumanPreference judgement = pair.judgement(labelId, s.principal().name(), choice, swapped, taken, clock.instant());
    sink.send(judgement);
    queue.record(judgement);
    ctx.contentType("application/json").result(Json.bytes(next(s.principal().name())));
  }

  // --- agreement and export ---

  private void agreement(Context ctx) {
    String id = ctx.pathParam("id");
    progressOf(ctx);
    List<HumanPreference> judged = view.preferencesOf(id);
    Map<String, Object> vars = new HashMap<>();
    vars.put("batchId", id);
    Agreement.BatchAgreement a = Agreement.byBatch(judged).stream().filter(b -> id.equals(b.batchId())).findFirst().orElse(null);
    vars.put("judgements", a == null ? 0 : a.judgements());
    vars.put("skips", a == null ? 0 : a.skips());
    if (a != null) {
      vars.put("modelN", a.model().n());
      vars.put("modelAgreed", a.model().agreed());
      vars.put("modelRate", a.model().n() == 0 ? "undefined (no judgements)" : String.format(Locale.ROOT, "%.1f%%", 100 * a.model().rate()));
      vars.put("modelKappa", kappa(a.model().kappa()));
      vars.put("pooled", kappa(a.annotators().pooled()));
      List<Map<String, Object>> rows = new ArrayList<>();
      for (Agreement.AnnotatorPair p : a.annotators().pairs()) {
        rows.add(Map.of("a", p.annotatorA(), "b", p.annotatorB(), "kappa", kappa(p.kappa())));
      }
      vars.put("annotatorPairs", rows);
    } else {
      vars.put("modelN", 0);
      vars.put("modelAgreed", 0);
      vars.put("modelRate", "undefined (no judgements)");
      vars.put("modelKappa", kappa(Kappa.cohen(new long[3][3])));
      vars.put("pooled", kappa(Kappa.cohen(new long[3][3])));
      vars.put("annotatorPairs", List.of());
    }
    render(ctx, "agreement", vars);
  }

  private static Map<String, Object> kappa(Kappa k) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("n", k.n());
    m.put("value", k.defined() ? String.format(Locale.ROOT, "%.3f", k.value()) : "undefined (" + k.undefinedReason() + ")");
    return m;
  }

  /**
   * The batch's human labels as Pick-a-Pic rows, one JSON object a line, through the exporter's own row
   * code ({@link DatasetRows#humanPreference}): the current answer per annotator and pair, skips left out.
   */
  private void export(Context ctx) {
    String id = ctx.pathParam("id");
    progressOf(ctx);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SequenceWriter rows = Json.MAPPER.writer().withRootValueSeparator("\n").writeValues(out)) {
      for (HumanPreference h : Agreement.current(view.preferencesOf(id))) {
        Map<String, Object> row = DatasetRows.humanPreference(h, PreferenceExporter.DEFAULT_VALIDATION_PERCENT);
        if (row != null) {
          rows.write(row);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (out.size() > 0) {
      out.write('\n');
    }
    ctx.header("Content-Disposition", "inline; filename=\"" + id.replaceAll("[^A-Za-z0-9._-]", "_") + "-human-preferences.jsonl\"");
    ctx.contentType("text/plain; charset=utf-8").result(out.toByteArray());
  }

  /** Counts of the labelling queue, for tests and the bench. */
  public PairQueue.Progress labelProgress() {
    feed();
    return queue.progress();
  }
}
