package io.inkflow.api.console;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.api.auth.ApiTokens;
import io.inkflow.api.auth.RateLimiter;
import io.inkflow.api.http.ApiServer;
import io.inkflow.api.http.Json;
import io.inkflow.api.submit.Submission;
import io.inkflow.api.submit.SubmissionRoutes;
import io.inkflow.api.view.ApiView;
import io.inkflow.api.view.ImageLinks;
import io.inkflow.api.webhook.CallbackGuard;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.ReviewDecision;
import io.inkflow.streams.labels.LabelPair;
import io.inkflow.streams.labels.PairQueue;
import io.inkflow.streams.rewrite.PackPlanner;
import io.inkflow.streams.rewrite.PeLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The console's routes on a loopback server over an in-memory view and sink: sign-in and its cookie, the
 * session and role gate (401/403), CSRF on every POST, prompts rendered as text, labelling with the next
 * pair in the answer, review, agreement and the export of people's labels.
 */
class ConsoleRoutesTest {
  static final Path PACK = Path.of("..", "infra", "models", "tiny-mmdit-flow").toAbsolutePath().normalize();
  static final String VIEWER = "view-token-0123456789";
  static final String ANNOTATOR = "ann-token-0123456789";
  static final String SUBMITTER = "sub-token-0123456789";
  static final String XSS = "<script>window.pwned=1</script>\"><img src=x onerror=window.pwned=2>";
  static final Pattern CSRF = Pattern.compile("<meta name=\"csrf\" content=\"([^\"]+)\"");
  static final Pattern LOGIN_CSRF = Pattern.compile("<input type=\"hidden\" name=\"_csrf\" value=\"([^\"]+)\"");

  final ApiView view = new ApiView();
  final List<HumanPreference> preferences = new CopyOnWriteArrayList<>();
  final List<HumanVerdict> verdicts = new CopyOnWriteArrayList<>();
  final List<Submission> written = new CopyOnWriteArrayList<>();
  final PackPlanner planner = PackPlanner.open(PACK, PeLimits.defaults());
  final HttpClient http = HttpClient.newHttpClient();
  final ApiServer server;
  volatile String notReady;

  ConsoleRoutesTest() {
    ApiTokens tokens = ApiTokens.parse(List.of(
        "victor viewer " + ApiTokens.hashHex(VIEWER, null),
        "anna annotator " + ApiTokens.hashHex(ANNOTATOR, null),
        "sam submitter,viewer " + ApiTokens.hashHex(SUBMITTER, null)), null, "test");
    Clock clock = Clock.fixed(Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);
    ImageLinks links = uri -> Optional.of(new ImageLinks.Link(URI.create("https://signed.example/" + uri.substring(5) + "?X-Amz-Expires=900"),
        clock.instant().plusSeconds(900)));
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    SubmissionRoutes submissions = new SubmissionRoutes(view, written::add, planner, new CallbackGuard(List.of(), true), false,
        new SubmissionRoutes.Limits(1 << 20, 1000), clock, metrics);
    LabelSink sink = new LabelSink() {
      @Override
      public void send(HumanPreference judgement) {
        preferences.add(judgement);
      }

      @Override
      public void send(HumanVerdict review) {
        verdicts.add(review);
      }
    };
    // No pair overlaps: each goes to one annotator, so the agreement between annotators is undefined (n = 0).
    ConsoleRoutes console = new ConsoleRoutes(view, tokens, new RateLimiter(10_000, clock), submissions, links, sink,
        new PairQueue.Settings(0.0, 2, Duration.ofMinutes(10)), clock, () -> Optional.ofNullable(notReady));
    server = ApiServer.start("127.0.0.1", 0, tokens, new RateLimiter(10_000, clock), List.of(submissions, console), metrics);
    ConsoleFixtures.finishedBatch(view, "b1", 3, XSS);
  }

  @AfterEach
  void close() {
    server.close();
    planner.close();
  }

  record Browser(String cookie, String csrf) {}

  HttpResponse<String> send(String method, String path, String cookie, String contentType, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** The sign-in form's double-submit cookie and field. */
  record LoginForm(String cookie, String field) {}

  LoginForm loginForm() throws Exception {
    HttpResponse<String> form = send("GET", "/console", null, null, null);
    assertThat(form.statusCode()).isEqualTo(200);
    String setCookie = form.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).startsWith(ConsoleRoutes.LOGIN_COOKIE + "=").contains("HttpOnly").contains("SameSite=Strict");
    Matcher m = LOGIN_CSRF.matcher(form.body());
    assertThat(m.find()).as("the sign-in form carries its CSRF field").isTrue();
    return new LoginForm(setCookie.substring(0, setCookie.indexOf(';')), m.group(1));
  }

  Browser signIn(String token) throws Exception {
    LoginForm login = loginForm();
    HttpResponse<String> r = send("POST", "/console/login", login.cookie(), "application/x-www-form-urlencoded",
        form("token", token, "_csrf", login.field()));
    assertThat(r.statusCode()).isEqualTo(303);
    String setCookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(ConsoleRoutes.COOKIE + "=")).findFirst()
        .orElseThrow();
    assertThat(setCookie).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/console").doesNotContain(token);
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    HttpResponse<String> page = send("GET", "/console/batches", cookie, null, null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).doesNotContain(token);
    Matcher m = CSRF.matcher(page.body());
    assertThat(m.find()).as("the page carries the session's CSRF token").isTrue();
    return new Browser(cookie, m.group(1));
  }

  static String form(String... pairs) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < pairs.length; i += 2) {
      parts.add(pairs[i] + "=" + URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return String.join("&", parts);
  }

  @Test
  void aWrongTokenIsRefusedAndPagesWithoutASessionSendToSignIn() throws Exception {
    LoginForm login = loginForm();
    HttpResponse<String> wrong = send("POST", "/console/login", login.cookie(), "application/x-www-form-urlencoded",
        form("token", "nope-nope-nope", "_csrf", login.field()));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(ConsoleRoutes.COOKIE + "="));
    // Sign-in itself needs the form's CSRF token (no login CSRF): without it, or with another, 403 and no session.
    for (String cookie : new String[] {null, login.cookie()}) {
      HttpResponse<String> forged = send("POST", "/console/login", cookie, "application/x-www-form-urlencoded",
          form("token", VIEWER, "_csrf", "forged-value-0123456789"));
      assertThat(forged.statusCode()).isEqualTo(403);
      assertThat(forged.headers().allValues("Set-Cookie")).isEmpty();
    }
    assertThat(wrong.body()).contains("not valid").doesNotContain("nope-nope-nope");

    HttpResponse<String> page = send("GET", "/console/batches/b1/gallery", null, null, null);
    assertThat(page.statusCode()).isEqualTo(303);
    assertThat(page.headers().firstValue("Location")).contains("/console");
    assertThat(send("GET", "/console/label/next", null, null, null).statusCode()).isEqualTo(401);
    assertThat(send("POST", "/console/label", "inkflow_console=forged", "application/json", "{}").statusCode()).isEqualTo(401);
    // A bearer token is not a console session.
    assertThat(send("GET", "/console/label/next", null, null, null, "Authorization", "Bearer " + ANNOTATOR).statusCode()).isEqualTo(401);
  }

  @Test
  void noTokenOrSessionReachesALogLineOrAPage() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    List<String> pages = new ArrayList<>();
    Browser annotator;
    try {
      LoginForm login = loginForm();
      send("POST", "/console/login", login.cookie(), "application/x-www-form-urlencoded", form("token", "wrong-" + ANNOTATOR, "_csrf", login.field()));
      annotator = signIn(ANNOTATOR);
      for (String page : List.of("/console/batches", "/console/batches/b1", "/console/batches/b1/gallery", "/console/batches/b1/review",
          "/console/label", "/console/label/next", "/console/batches/b1/agreement", "/console/batches/b1/export")) {
        pages.add(send("GET", page, annotator.cookie(), null, null).body());
      }
      send("POST", "/console/review", annotator.cookie(), "application/x-www-form-urlencoded", form("jobId", "b1-r0001-1", "decision", "bogus",
          "_csrf", annotator.csrf()));
    } finally {
      root.detachAppender(logs);
    }
    String session = annotator.cookie().substring(annotator.cookie().indexOf('=') + 1);
    assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).anyMatch(m -> m.contains("console sign-in: anna"))
        .noneMatch(m -> m.contains(ANNOTATOR) || m.contains(session));
    assertThat(pages).hasSize(8).noneMatch(p -> p.contains(ANNOTATOR) || p.contains(session));
  }

  @Test
  void theAgreementPageShowsKappaBetweenAnnotatorsWithN() throws Exception {
    PreferenceChoice[] anna = {PreferenceChoice.IMAGE_0, PreferenceChoice.IMAGE_1, PreferenceChoice.TIE};
    PreferenceChoice[] bob = {PreferenceChoice.IMAGE_0, PreferenceChoice.IMAGE_1, PreferenceChoice.IMAGE_0};
    for (int i = 0; i < 3; i++) {
      LabelPair pair = LabelPair.of(view.request(String.format("b1-r%04d", i)).orElseThrow(), "p", null).get(0);
      view.apply(pair.judgement("anna-" + i + "-label", "anna", anna[i], false, 900, Instant.EPOCH));
      view.apply(pair.judgement("bob-" + i + "-label", "bob", bob[i], false, 900, Instant.EPOCH));
    }
    String page = send("GET", "/console/batches/b1/agreement", signIn(VIEWER).cookie(), null, null).body();
    // Observed 2/3, chance (1/3·2/3 + 1/3·1/3) = 1/3: kappa (2/3 - 1/3) / (1 - 1/3) = 0.5 over n = 3 pairs.
    assertThat(page).contains("<tr id=\"pooled\"><td>all pairs, pooled</td><td>3</td><td>0.500</td></tr>");
    assertThat(page).containsPattern("<td>anna / bob</td><td>3</td>\\s*<td>0.500</td>");
    // The model prefers image 0 (0.8 over 0.3) every time; three of the six judgements do too.
    assertThat(page).contains("<tr id=\"model\"><td>6</td><td>3</td>");
  }

  @Test
  void pagesWaitForTheViewToCatchUp() throws Exception {
    Browser annotator = signIn(ANNOTATOR);
    notReady = "the topic view is still reading the topics";
    HttpResponse<String> r = send("GET", "/console/label/next", annotator.cookie(), null, null);
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("Retry-After")).contains("1");
    notReady = null;
    assertThat(send("GET", "/console/label/next", annotator.cookie(), null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void rolesDecideWhatASessionMayDo() throws Exception {
    Browser viewer = signIn(VIEWER);
    assertThat(send("GET", "/console/batches/b1/gallery", viewer.cookie(), null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/console/batches/b1/agreement", viewer.cookie(), null, null).statusCode()).isEqualTo(200);
    assertThat(send("GET", "/console/label", viewer.cookie(), null, null).statusCode()).isEqualTo(403);
    assertThat(send("GET", "/console/batches/b1/review", viewer.cookie(), null, null).statusCode()).isEqualTo(403);
    assertThat(send("POST", "/console/upload", viewer.cookie(), "text/csv", "sku,prompt\nA,a mug\n", "X-CSRF-Token", viewer.csrf())
        .statusCode()).isEqualTo(403);
    Browser annotator = signIn(ANNOTATOR);
    assertThat(send("GET", "/console/upload", annotator.cookie(), null, null).statusCode()).isEqualTo(403);
    assertThat(written).isEmpty();
  }

  @Test
  void everyPostNeedsTheSessionsCsrfToken() throws Exception {
    Browser annotator = signIn(ANNOTATOR);
    String review = form("jobId", "b1-r0000-1", "decision", "overturn", "reason", "looks fine");
    assertThat(send("POST", "/console/review", annotator.cookie(), "application/x-www-form-urlencoded", review).statusCode()).isEqualTo(403);
    assertThat(send("POST", "/console/review", annotator.cookie(), "application/x-www-form-urlencoded",
        review + "&_csrf=" + "x".repeat(43)).statusCode()).isEqualTo(403);
    Browser other = signIn(ANNOTATOR);
    assertThat(send("POST", "/console/review", annotator.cookie(), "application/x-www-form-urlencoded",
        review + "&_csrf=" + other.csrf()).statusCode()).as("another session's token").isEqualTo(403);
    assertThat(verdicts).isEmpty();

    HttpResponse<String> ok = send("POST", "/console/review", annotator.cookie(), "application/x-www-form-urlencoded",
        review + "&_csrf=" + annotator.csrf());
    assertThat(ok.statusCode()).isEqualTo(303);
    assertThat(verdicts).singleElement().satisfies(v -> {
      assertThat(v.getJobId()).isEqualTo("b1-r0000-1");
      assertThat(v.getDecision()).isEqualTo(ReviewDecision.OVERTURNED);
      assertThat(v.getReason()).isEqualTo("looks fine");
      assertThat(v.getReviewer()).isEqualTo("anna");
      assertThat(v.getReasonCodes()).containsExactly("LOW_AESTHETIC");
    });
    assertThat(send("GET", "/console/batches/b1/review", annotator.cookie(), null, null).body()).contains("OVERTURNED by anna");

    assertThat(send("POST", "/console/label", annotator.cookie(), "application/json", "{}").statusCode()).isEqualTo(403);
    assertThat(send("POST", "/console/logout", annotator.cookie(), "application/x-www-form-urlencoded", "").statusCode()).isEqualTo(403);
  }

  @Test
  void promptsRenderAsTextOnEveryPage() throws Exception {
    Browser annotator = signIn(ANNOTATOR);
    Browser viewer = signIn(VIEWER);
    for (String page : List.of("/console/batches/b1/gallery", "/console/batches/b1/review")) {
      HttpResponse<String> r = send("GET", page, page.endsWith("review") ? annotator.cookie() : viewer.cookie(), null, null);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp).contains("script-src 'self'"));
      assertThat(r.body()).contains("&lt;script&gt;window.pwned=1&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=window.pwned=2&gt;")
          .doesNotContain("<script>window.pwned").doesNotContain("<img src=x");
    }
    HttpResponse<String> next = send("GET", "/console/label/next", annotator.cookie(), null, null);
    assertThat(next.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
    assertThat(Json.MAPPER.readTree(next.body()).path("prompt").asText()).startsWith(XSS);
  }

  @Test
  void eachAnswerIsRecordedAndTheNextPairComesWithIt() throws Exception {
    Browser annotator = signIn(ANNOTATOR);
    JsonNode pair = Json.MAPPER.readTree(send("GET", "/console/label/next", annotator.cookie(), null, null).body());
    List<String> seen = new ArrayList<>();
    String[] keys = {"1", "0", "s"};
    for (int i = 0; i < keys.length; i++) {
      assertThat(pair.path("done").asBoolean()).isFalse();
      assertThat(pair.path("left").asText()).startsWith("https://signed.example/");
      seen.add(pair.path("pairId").asText());
      String answer = Json.MAPPER.writeValueAsString(Map.of("labelId", "label-000" + i, "pairId", pair.path("pairId").asText(),
          "swapped", pair.path("swapped").asBoolean(), "key", keys[i], "timeTakenMs", 1200));
      HttpResponse<String> r = send("POST", "/console/label", annotator.cookie(), "application/json", answer, "X-CSRF-Token", annotator.csrf());
      assertThat(r.statusCode()).isEqualTo(200);
      pair = Json.MAPPER.readTree(r.body());
    }
    assertThat(pair.path("done").asBoolean()).as("three requests, one pair each, all seen").isTrue();
    assertThat(seen).doesNotHaveDuplicates().hasSize(3);
    assertThat(preferences).extracting(HumanPreference::getAnnotator).containsOnly("anna");
    assertThat(preferences).extracting(HumanPreference::getTimeTakenMs).containsOnly(1200L);
    // Key 1 is the left image: image 0 unless the sides were swapped.
    HumanPreference first = preferences.get(0);
    assertThat(first.getChoice()).isEqualTo(first.getSwapped() ? PreferenceChoice.IMAGE_1 : PreferenceChoice.IMAGE_0);
    assertThat(preferences.get(1).getChoice()).isEqualTo(PreferenceChoice.TIE);
    assertThat(preferences.get(2).getChoice()).isEqualTo(PreferenceChoice.SKIP);

    // Read back from human-preferences (as the view's loader would), the labels reach the export and the agreement.
    preferences.forEach(view::apply);
    Browser viewer = signIn(VIEWER);
    String export = send("GET", "/console/batches/b1/export", viewer.cookie(), null, null).body();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : export.split("\n")) {
      rows.add(Json.MAPPER.readTree(line));
    }
    assertThat(rows).hasSize(2).allSatisfy(row -> {
      assertThat(row.path("label_source").asText()).isEqualTo("human");
      assertThat(row.path("annotator").asText()).isEqualTo("anna");
      assertThat(row.path("caption").asText()).startsWith(XSS);
    });
    assertThat(rows).extracting(r -> r.path("label_0").asDouble() + r.path("label_1").asDouble()).containsOnly(1.0);
    String agreement = send("GET", "/console/batches/b1/agreement", viewer.cookie(), null, null).body();
    assertThat(agreement).contains("3</span> judgements, <span>1</span> skips").contains("undefined (");
    // The model prefers variant 0 (0.8 over 0.3): the model row counts the one preference and the tie.
    assertThat(agreement).containsPattern("<tr id=\"model\"><td>2</td>");
  }

  @Test
  void anUploadTakesTheApisOwnBatchPath() throws Exception {
    Browser submitter = signIn(SUBMITTER);
    String csv = "sku,prompt,width,height\nA-1,a red mug,512,512\nA-2,a blue cup,512,512\n";
    assertThat(send("POST", "/console/upload", submitter.cookie(), "text/csv", csv).statusCode()).isEqualTo(403);
    HttpResponse<String> r = send("POST", "/console/upload", submitter.cookie(), "text/csv", csv, "X-CSRF-Token", submitter.csrf());
    assertThat(r.statusCode()).isEqualTo(202);
    String batchId = Json.MAPPER.readTree(r.body()).path("batchId").asText();
    assertThat(written).singleElement().satisfies(s -> {
      assertThat(s.batch().getBatchId()).isEqualTo(batchId);
      assertThat(s.batch().getSubmitter()).isEqualTo("sam");
      assertThat(s.requests()).hasSize(2);
    });
    HttpResponse<String> bad = send("POST", "/console/upload", submitter.cookie(), "text/csv", "sku,prompt\nA-1,\n", "X-CSRF-Token",
        submitter.csrf());
    assertThat(bad.statusCode()).isEqualTo(422);
    assertThat(written).hasSize(1);
  }
}
