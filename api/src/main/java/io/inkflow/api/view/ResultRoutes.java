package io.inkflow.api.view;

import io.inkflow.api.auth.Role;
import io.inkflow.api.http.ApiRoute;
import io.inkflow.api.http.Json;
import io.inkflow.api.http.Problem;
import io.inkflow.api.http.RouteGroup;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.Size;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookSubjectKind;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The read routes: a batch's progress and counts by status, its manifest, a request's result with its
 * ranked variants and scores. Answers come from the {@link ApiView} (never a topic scan); image and
 * manifest links are short-lived presigned URLs. The same documents, without links, are the data of
 * webhook events ({@link #eventData}).
 */
public final class ResultRoutes implements RouteGroup {
  private final ApiView view;
  private final ImageLinks links;
  private final Supplier<Optional<String>> notReady;

  public ResultRoutes(ApiView view, ImageLinks links, Supplier<Optional<String>> notReady) {
    this.view = view;
    this.links = links;
    this.notReady = notReady;
  }

  @Override
  public List<ApiRoute> routes() {
    return List.of(
        ApiRoute.of(HandlerType.GET, "/v1/batches/{id}", this::batch, Role.VIEWER, Role.SUBMITTER, Role.ANNOTATOR),
        ApiRoute.of(HandlerType.GET, "/v1/batches/{id}/manifest", this::manifest, Role.VIEWER, Role.SUBMITTER, Role.ANNOTATOR),
        ApiRoute.of(HandlerType.GET, "/v1/requests/{id}", this::request, Role.VIEWER, Role.SUBMITTER, Role.ANNOTATOR));
  }

  private void ready() {
    notReady.get().ifPresent(why -> {
      throw new Problem(503, "not-ready", "Service unavailable", why, List.of(), Map.of("Retry-After", "1"));
    });
  }

  private void batch(Context ctx) {
    ready();
    String id = ctx.pathParam("id");
    ApiView.BatchProgress p = view.progress(id).orElseThrow(() -> Problem.notFound("no batch " + id));
    ctx.contentType("application/json").result(Json.bytes(batchDocument(id, p)));
  }

  private void manifest(Context ctx) {
    ready();
    String id = ctx.pathParam("id");
    ApiView.BatchProgress p = view.progress(id).orElseThrow(() -> Problem.notFound("no batch " + id));
    BatchResult r = p.result();
    if (r == null || r.getManifestUri() == null) {
      int expected = p.submitted() == null ? -1 : p.submitted().getExpectedCount();
      throw new Problem(409, "batch-not-complete", "Batch not complete", "batch " + id + " has no manifest yet: "
          + p.done() + (expected >= 0 ? "/" + expected : "") + " requests done");
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("batchId", id);
    doc.put("manifestUri", r.getManifestUri());
    links.link(r.getManifestUri()).ifPresent(l -> {
      doc.put("url", l.url().toString());
      doc.put("expiresAt", l.expiresAt().toString());
    });
    ctx.contentType("application/json").result(Json.bytes(doc));
  }

  private void request(Context ctx) {
    ready();
    String id = ctx.pathParam("id");
    RequestResult r = view.request(id).orElseThrow(() -> Problem.notFound("no result for request " + id
        + " (unknown, or not finished yet)"));
    ctx.contentType("application/json").result(Json.bytes(requestDocument(r, links)));
  }

  /** The data of a completion event for {@code d}, once its subject has completed. */
  public Optional<Object> eventData(WebhookDelivery d) {
    if (d.getKind() == WebhookSubjectKind.REQUEST) {
      return view.request(d.getSubjectId()).map(r -> requestDocument(r, null));
    }
    if (view.batchResult(d.getSubjectId()).isEmpty()) {
      return Optional.empty();
    }
    return view.progress(d.getSubjectId()).map(p -> batchDocument(d.getSubjectId(), p));
  }

  static Map<String, Object> batchDocument(String id, ApiView.BatchProgress p) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("batchId", id);
    BatchSubmitted s = p.submitted();
    BatchResult r = p.result();
    if (s != null) {
      doc.put("submitter", s.getSubmitter());
      doc.put("source", s.getSource());
      doc.put("submittedAt", s.getSubmittedAt().toString());
    }
    int expected = s != null ? s.getExpectedCount() : r != null ? r.getExpectedCount() : p.done();
    doc.put("expected", expected);
    doc.put("done", p.done());
    doc.put("progress", expected == 0 ? 1.0 : Math.min(1.0, p.done() / (double) expected));
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (RequestStatus st : List.of(RequestStatus.COMPLETED, RequestStatus.PARTIAL, RequestStatus.FAILED, RequestStatus.REJECTED)) {
      counts.put(st.name().toLowerCase(Locale.ROOT), p.counts().getOrDefault(st, 0));
    }
    doc.put("counts", counts);
    doc.put("complete", r != null);
    if (r != null) {
      doc.put("timedOut", r.getTimedOut());
      doc.put("missing", r.getMissing());
      doc.put("imagesGenerated", r.getImagesGenerated());
      doc.put("badCases", r.getBadCases());
      doc.put("manifestUri", r.getManifestUri());
      doc.put("completedAt", r.getCompletedAt().toString());
    }
    doc.put("links", Map.of("self", "/v1/batches/" + id, "manifest", "/v1/batches/" + id + "/manifest"));
    return doc;
  }

  static Map<String, Object> requestDocument(RequestResult r, ImageLinks links) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("requestId", r.getRequestId());
    doc.put("batchId", r.getBatchId());
    doc.put("status", r.getStatus().name());
    doc.put("reasonCode", r.getReasonCode());
    doc.put("reasonMessage", r.getReasonMessage());
    doc.put("numVariants", r.getNumVariants());
    List<Map<String, Object>> variants = new ArrayList<>();
    for (RankedVariant v : r.getVariants()) {
      variants.add(variant(v, links));
    }
    doc.put("variants", variants);
    doc.put("best", r.getBestVariant() == null ? null : variant(r.getBestVariant(), links));
    doc.put("tags", r.getTags());
    doc.put("droppedGlyphTexts", r.getDroppedGlyphTexts());
    doc.put("completedAt", r.getCompletedAt().toString());
    doc.put("links", Map.of("self", "/v1/requests/" + r.getRequestId()));
    return doc;
  }

  private static Map<String, Object> variant(RankedVariant v, ImageLinks links) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jobId", v.getJobId());
    m.put("variant", v.getVariant());
    m.put("seed", v.getSeed());
    m.put("score", v.getScore());
    m.put("verdict", v.getVerdict().name());
    m.put("imageUri", v.getImageUri());
    if (links != null && v.getImageUri() != null) {
      links.link(v.getImageUri()).ifPresent(l -> {
        m.put("imageUrl", l.url().toString());
        m.put("imageUrlExpiresAt", l.expiresAt().toString());
      });
    }
    m.put("requestedSize", size(v.getRequestedSize()));
    m.put("deliveredSize", size(v.getDeliveredSize()));
    return m;
  }

  private static Map<String, Integer> size(Size s) {
    return s == null ? null : Map.of("width", s.getWidth(), "height", s.getHeight());
  }
}
