package io.inkflow.api.submit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.api.auth.Principal;
import io.inkflow.api.auth.Role;
import io.inkflow.api.http.ApiRoute;
import io.inkflow.api.http.ApiServer;
import io.inkflow.api.http.Json;
import io.inkflow.api.http.Problem;
import io.inkflow.api.http.RouteGroup;
import io.inkflow.api.view.ApiView;
import io.inkflow.api.view.SubjectKeys;
import io.inkflow.api.webhook.CallbackGuard;
import io.inkflow.avro.ApiSubmission;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookState;
import io.inkflow.avro.WebhookSubjectKind;
import io.inkflow.catalogue.Catalogue;
import io.inkflow.catalogue.CatalogueCheck;
import io.inkflow.common.Digests;
import io.inkflow.streams.rewrite.PackPlanner;
import io.javalin.http.Context;
import io.micrometer.core.instrument.MeterRegistry;
import io.javalin.http.HandlerType;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The submission routes. {@code POST /v1/batches} takes a CSV or JSON Lines catalogue and {@code POST
 * /v1/requests} one request as a JSON object; both read it with {@code scripts/submit}'s own parser
 * ({@link Catalogue}) and judge it with the same check ({@link CatalogueCheck}: the reader's codes and the
 * PE stage's planner for the deployed pack). Unlike the CLI the API is all or nothing: any refused line
 * answers 422 with every bad line (number, code, message) and nothing is written; an accepted call is
 * written in one transaction ({@link SubmissionSink}) and answered 202 with its id.
 *
 * <p>{@code Idempotency-Key}: a retry with the same key (per token) and the same body and parameters
 * answers the first call's 202 again (header {@code Idempotent-Replayed: true}) and writes nothing; the
 * same key with anything else is a 422. The keys are recorded on {@code api-submissions}, so they hold
 * across restarts. A batch id that already exists is a 409.
 */
public final class SubmissionRoutes implements RouteGroup {
  private static final Logger LOG = LoggerFactory.getLogger(SubmissionRoutes.class);
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");
  private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");
  private static final Pattern KEY_COLUMN = Pattern.compile("[A-Za-z0-9_ -]{1,64}");

  /**
   * Limits of a submission.
   *
   * @param maxBodyBytes largest request body; larger answers 413 before the body is read whole
   * @param maxRows most requests in one batch
   */
  public record Limits(long maxBodyBytes, int maxRows) {}

  private final ApiView view;
  private final SubmissionSink sink;
  private final PackPlanner planner;
  private final CallbackGuard guard;
  private final boolean webhooksEnabled;
  private final Limits limits;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final SecureRandom random = new SecureRandom();
  private final Object writeLock = new Object();

  public SubmissionRoutes(ApiView view, SubmissionSink sink, PackPlanner planner, CallbackGuard guard, boolean webhooksEnabled,
      Limits limits, Clock clock, MeterRegistry metrics) {
    this.view = view;
    this.sink = sink;
    this.planner = planner;
    this.guard = guard;
    this.webhooksEnabled = webhooksEnabled;
    this.limits = limits;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public List<ApiRoute> routes() {
    return List.of(
        ApiRoute.of(HandlerType.POST, "/v1/batches", this::postBatch, Role.SUBMITTER),
        ApiRoute.of(HandlerType.POST, "/v1/requests", this::postRequest, Role.SUBMITTER));
  }

  /**
   * {@code POST /v1/batches}, for the caller in {@link ApiServer#PRINCIPAL}: public so that the console's
   * upload form takes exactly this path (same parser, checks, idempotency and answer).
   */
  public void postBatch(Context ctx) throws Exception {
    Principal who = ApiServer.principal(ctx);
    Catalogue.Format format = format(ctx);
    String keyColumn = Optional.ofNullable(ctx.queryParam("key_column")).orElse("sku");
    if (!KEY_COLUMN.matcher(keyColumn).matches()) {
      throw Problem.badRequest("key_column '" + keyColumn + "': expected 1-64 letters, digits, '_', '-' or spaces");
    }
    String givenBatchId = ctx.queryParam("batch_id");
    if (givenBatchId != null && !SAFE_ID.matcher(givenBatchId).matches()) {
      throw Problem.badRequest("batch_id '" + givenBatchId + "': expected 1-64 of [A-Za-z0-9._-], not starting with '.'");
    }
    String callback = ctx.queryParam("callback_url");
    String idemKey = idempotencyKey(ctx);
    byte[] body = body(ctx);
    String fingerprint = fingerprint("batch", format.name(), givenBatchId, keyColumn, callback, body);
    Optional<ApiSubmission> replay = replay(ctx, who, idemKey, fingerprint);
    if (replay.isPresent()) {
      accepted(ctx, WebhookSubjectKind.BATCH, replay.get().getSubjectId(), replay.get().getRequestCount(), List.of(), true);
      return;
    }
    String batchId = givenBatchId != null ? givenBatchId : newId(who, idemKey);
    checkCallback(callback);
    Instant now = clock.instant();
    Catalogue.Result read;
    try (Reader in = utf8(body)) {
      read = Catalogue.read(in, format, batchId, keyColumn, now);
    } catch (IOException e) {
      throw new Problem(422, "invalid-upload", "Invalid upload", e.getMessage(),
          List.of(new Problem.LineError(1, "MALFORMED_FILE", e.getMessage())), Map.of());
    }
    CatalogueCheck.Report report = check(read, now);
    refuseIfAny(report, read.entries().isEmpty());
    if (read.entries().size() > limits.maxRows()) {
      throw new Problem(413, "too-many-rows", "Too many rows", "the batch has " + read.entries().size()
          + " requests; at most " + limits.maxRows() + " are accepted in one batch");
    }
    List<PromptRequest> requests = read.requests();
    BatchSubmitted batch = BatchSubmitted.newBuilder().setBatchId(batchId).setExpectedCount(requests.size())
        .setSubmitter(who.name()).setSource("api").setSubmittedAt(now).build();
    write(ctx, who, WebhookSubjectKind.BATCH, batchId, batch, requests, callback, idemKey, fingerprint, now, notes(report));
  }

  private void postRequest(Context ctx) throws Exception {
    Principal who = ApiServer.principal(ctx);
    String idemKey = idempotencyKey(ctx);
    byte[] body = body(ctx);
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw new Problem(422, "invalid-upload", "Invalid upload", "the body is not JSON: " + e.getOriginalMessage(),
          List.of(new Problem.LineError(1, Catalogue.Codes.NOT_JSON, e.getOriginalMessage())), Map.of());
    }
    if (node == null || !node.isObject()) {
      throw new Problem(422, "invalid-upload", "Invalid upload", "expected one JSON object",
          List.of(new Problem.LineError(1, Catalogue.Codes.NOT_JSON, "expected a JSON object")), Map.of());
    }
    ObjectNode fields = (ObjectNode) node;
    String givenId = text(fields.remove("request_id"));
    String callback = text(fields.remove("callback_url"));
    if (givenId != null && (!SAFE_REQUEST_ID.matcher(givenId).matches() || givenId.contains(".."))) {
      throw Problem.badRequest("request_id '" + givenId + "': expected 1-128 of [A-Za-z0-9._-], not starting with '.', no '..'");
    }
    String fingerprint = fingerprint("request", givenId, callback, Json.MAPPER.writeValueAsString(fields));
    Optional<ApiSubmission> replay = replay(ctx, who, idemKey, fingerprint);
    if (replay.isPresent()) {
      accepted(ctx, WebhookSubjectKind.REQUEST, replay.get().getSubjectId(), 1, List.of(), true);
      return;
    }
    String requestId = givenId != null ? givenId : newId(who, idemKey);
    if (view.request(requestId).isPresent()) {
      throw new Problem(409, "duplicate", "Duplicate", "request " + requestId + " already exists");
    }
    checkCallback(callback);
    Instant now = clock.instant();
    Catalogue.Result read;
    try (Reader in = new StringReader(Json.MAPPER.writeValueAsString(fields))) {
      read = Catalogue.readRequest(in, requestId, now);
    }
    CatalogueCheck.Report report = check(read, now);
    refuseIfAny(report, read.entries().isEmpty());
    write(ctx, who, WebhookSubjectKind.REQUEST, requestId, null, read.requests(), callback, idemKey, fingerprint, now, notes(report));
  }

  private void write(Context ctx, Principal who, WebhookSubjectKind kind, String subjectId, BatchSubmitted batch,
      List<PromptRequest> requests, String callback, String idemKey, String fingerprint, Instant now, List<Problem.LineError> notes)
      throws Exception {
    String webhookKey = SubjectKeys.of(kind, subjectId);
    WebhookDelivery webhook = callback == null ? null : WebhookDelivery.newBuilder().setSubjectId(subjectId).setKind(kind)
        .setCallbackUrl(callback).setEventId("evt_" + hex(Digests.sha256((webhookKey + "\n" + callback + "\n" + now.toEpochMilli())
            .getBytes(StandardCharsets.UTF_8)), 24))
        .setState(WebhookState.REGISTERED).setRegisteredAt(now).build();
    String submissionKey = idemKey == null ? null : who.name() + ":" + idemKey;
    ApiSubmission idem = idemKey == null ? null : ApiSubmission.newBuilder().setPrincipal(who.name()).setIdempotencyKey(idemKey)
        .setKind(kind).setSubjectId(subjectId).setBodySha256(fingerprint).setRequestCount(requests.size()).setAcceptedAt(now).build();
    synchronized (writeLock) {
      // Checked again under the lock: two calls racing with one key or one batch id write once.
      Optional<ApiSubmission> raced = replay(ctx, who, idemKey, fingerprint);
      if (raced.isPresent()) {
        accepted(ctx, kind, raced.get().getSubjectId(), raced.get().getRequestCount(), List.of(), true);
        return;
      }
      if (batch != null && view.progress(subjectId).isPresent()) {
        throw new Problem(409, "duplicate", "Duplicate", "batch " + subjectId + " already exists; choose another batch_id");
      }
      sink.write(new Submission(batch, requests, webhookKey, webhook, submissionKey, idem));
      if (batch != null) {
        view.apply(batch);
      }
      if (webhook != null) {
        view.apply(webhookKey, webhook);
      }
      if (idem != null) {
        view.apply(submissionKey, idem);
      }
    }
    LOG.info("{} {} accepted from token {}: {} request(s){}", kind.name().toLowerCase(Locale.ROOT), subjectId, who.name(),
        requests.size(), callback == null ? "" : ", with a webhook");
    metrics.counter("inkflow.api.requests.accepted", "kind", kind.name().toLowerCase(Locale.ROOT)).increment(requests.size());
    accepted(ctx, kind, subjectId, requests.size(), notes, false);
  }

  private CatalogueCheck.Report check(Catalogue.Result read, Instant now) {
    synchronized (planner) {
      return CatalogueCheck.check(read, planner, now);
    }
  }

  private void refuseIfAny(CatalogueCheck.Report report, boolean empty) {
    if (report.refusals() > 0 || empty) {
      metrics.counter("inkflow.api.uploads.refused").increment();
    }
    if (report.refusals() > 0) {
      List<Problem.LineError> errors = report.findings().stream().filter(CatalogueCheck.Finding::refused)
          .map(f -> new Problem.LineError(f.line(), f.code(), f.message())).toList();
      throw new Problem(422, "invalid-upload", "Invalid upload", errors.size() + " line(s) refused; nothing was submitted",
          errors, Map.of());
    }
    if (empty) {
      throw new Problem(422, "invalid-upload", "Invalid upload", "the upload holds no request; nothing was submitted");
    }
  }

  private static List<Problem.LineError> notes(CatalogueCheck.Report report) {
    return report.findings().stream().filter(f -> !f.refused()).map(f -> new Problem.LineError(f.line(), f.code(), f.message())).toList();
  }

  private static void accepted(Context ctx, WebhookSubjectKind kind, String id, int count, List<Problem.LineError> notes, boolean replayed) {
    Map<String, Object> doc = new LinkedHashMap<>();
    String self = (kind == WebhookSubjectKind.BATCH ? "/v1/batches/" : "/v1/requests/") + id;
    doc.put(kind == WebhookSubjectKind.BATCH ? "batchId" : "requestId", id);
    doc.put("requests", count);
    doc.put("status", "accepted");
    if (!notes.isEmpty()) {
      doc.put("notes", notes);
    }
    doc.put("links", Map.of("self", self));
    if (replayed) {
      ctx.header("Idempotent-Replayed", "true");
    }
    ctx.header("Location", self);
    ctx.status(202).contentType("application/json").result(Json.bytes(doc));
  }

  /** The earlier submission under this key, if its body matches; a 422 if it does not. */
  private Optional<ApiSubmission> replay(Context ctx, Principal who, String idemKey, String fingerprint) {
    if (idemKey == null) {
      return Optional.empty();
    }
    Optional<ApiSubmission> earlier = view.submission(who.name() + ":" + idemKey);
    if (earlier.isPresent() && !earlier.get().getBodySha256().equals(fingerprint)) {
      throw new Problem(422, "idempotency-key-reused", "Idempotency-Key reused", "Idempotency-Key '" + idemKey
          + "' was used for another body or other parameters (" + earlier.get().getKind().name().toLowerCase(Locale.ROOT) + " "
          + earlier.get().getSubjectId() + "); use a new key for a new submission");
    }
    return earlier;
  }

  private void checkCallback(String callback) {
    if (callback == null) {
      return;
    }
    if (!webhooksEnabled) {
      throw Problem.badRequest("callback_url given, but webhooks are not configured on this service (no signing secret)");
    }
    if (callback.length() > 2048) {
      throw Problem.badRequest("callback_url is longer than 2048 characters");
    }
    try {
      guard.check(callback);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest(e.getMessage());
    }
  }

  private static String idempotencyKey(Context ctx) {
    String key = ctx.header("Idempotency-Key");
    if (key == null) {
      return null;
    }
    if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw Problem.badRequest("Idempotency-Key must be 1-255 visible ASCII characters");
    }
    return key;
  }

  private Catalogue.Format format(Context ctx) {
    String explicit = ctx.queryParam("format");
    String type = explicit != null ? explicit : Optional.ofNullable(ctx.contentType()).orElse("");
    String t = type.toLowerCase(Locale.ROOT).split(";")[0].strip();
    return switch (t) {
      case "csv", "text/csv" -> Catalogue.Format.CSV;
      case "jsonl", "ndjson", "application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/jsonlines" ->
          Catalogue.Format.JSONL;
      default -> throw new Problem(415, "unsupported-media-type", "Unsupported media type", "expected Content-Type text/csv or "
          + "application/x-ndjson (or ?format=csv|jsonl), found '" + type + "'");
    };
  }

  /** The body, read up to the limit: a larger one answers 413 without being read whole. */
  private byte[] body(Context ctx) throws IOException {
    long declared = ctx.contentLength();
    if (declared > limits.maxBodyBytes()) {
      throw tooLarge(declared);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 8192);
    try (InputStream in = ctx.bodyInputStream()) {
      byte[] buf = new byte[65536];
      long total = 0;
      for (int n; (n = in.read(buf)) > 0; ) {
        total += n;
        if (total > limits.maxBodyBytes()) {
          throw tooLarge(total);
        }
        out.write(buf, 0, n);
      }
    }
    return out.toByteArray();
  }

  private Problem tooLarge(long size) {
    return new Problem(413, "body-too-large", "Body too large", "the body has " + size + "+ bytes; at most "
        + limits.maxBodyBytes() + " are accepted");
  }

  /** The body as UTF-8 text; a byte sequence that is not UTF-8 is refused rather than replaced. */
  private static Reader utf8(byte[] body) throws IOException {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body));
    } catch (CharacterCodingException e) {
      throw new IOException("the body is not UTF-8 text (" + e.getMessage() + ")", e);
    }
    return new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8);
  }

  private String newId(Principal who, String idemKey) {
    byte[] seed = idemKey != null ? Digests.sha256((who.name() + "\n" + idemKey).getBytes(StandardCharsets.UTF_8)) : randomBytes();
    return "api-" + hex(seed, 20);
  }

  private byte[] randomBytes() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return b;
  }

  private static String fingerprint(String kind, String... parts) {
    List<String> all = new ArrayList<>(List.of(kind));
    for (String p : parts) {
      all.add(p == null ? "\u0000" : p);
    }
    return HexFormat.of().formatHex(Digests.sha256(String.join("\n", all).getBytes(StandardCharsets.UTF_8)));
  }

  private static String fingerprint(String kind, String format, String batchId, String keyColumn, String callback, byte[] body) {
    return fingerprint(kind, format, batchId, keyColumn, callback, HexFormat.of().formatHex(Digests.sha256(body)));
  }

  private static String text(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  private static String hex(byte[] bytes, int chars) {
    return HexFormat.of().formatHex(bytes).substring(0, chars);
  }
}
