package io.inkflow.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.inkflow.api.http.Json;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.Verdict;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Every route, role and error of the API, on loopback with an in-memory sink and view. */
class ApiRoutesTest {
  static final String CSV = """
      sku,prompt,width,height
      A-1,a red mug,512,512
      A-2,a blue cup,512,512
      """;

  final ApiTestKit kit = new ApiTestKit(64 * 1024);

  @AfterEach
  void close() {
    kit.close();
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.MAPPER.readTree(r.body());
  }

  @Test
  void callsWithoutAValidTokenAre401AndWithTheWrongRole403() throws Exception {
    HttpResponse<String> none = kit.send("GET", "/v1/batches/x", null, null, null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"inkflow\"");
    assertThat(none.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(json(none).get("type").asText()).endsWith("/unauthorized");
    HttpResponse<String> wrong = kit.send("GET", "/v1/batches/x", "not-a-token", null, null);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).doesNotContain("not-a-token");
    assertThat(kit.send("GET", "/v1/batches/x", null, null, null, "Authorization", "Basic abc").statusCode()).isEqualTo(401);

    HttpResponse<String> viewerPosts = kit.send("POST", "/v1/batches", ApiTestKit.VIEWER, "text/csv", CSV);
    assertThat(viewerPosts.statusCode()).isEqualTo(403);
    assertThat(json(viewerPosts).get("detail").asText()).contains("victor").contains("submitter").doesNotContain(ApiTestKit.VIEWER);
    assertThat(kit.send("POST", "/v1/requests", ApiTestKit.ANNOTATOR, "application/json", "{\"prompt\":\"x\"}").statusCode()).isEqualTo(403);
    assertThat(kit.written).isEmpty();
    // Every role reads.
    for (String token : List.of(ApiTestKit.VIEWER, ApiTestKit.SUBMITTER, ApiTestKit.ANNOTATOR)) {
      assertThat(kit.send("GET", "/v1/batches/none", token, null, null).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void noTokenOrSecretReachesALogLine() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    try {
      kit.send("POST", "/v1/batches?batch_id=logged", ApiTestKit.SUBMITTER, "text/csv", CSV);
      kit.send("POST", "/v1/batches", ApiTestKit.VIEWER, "text/csv", CSV);
      kit.send("GET", "/v1/batches/logged", "wrong-" + ApiTestKit.SUBMITTER, null, null);
      kit.send("POST", "/v1/requests", ApiTestKit.SUBMITTER, "application/json", "{\"prompt\": 1, \"width\": []}");
    } finally {
      root.detachAppender(logs);
    }
    assertThat(logs.list).isNotEmpty();
    assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
        .noneMatch(m -> m.contains(ApiTestKit.SUBMITTER) || m.contains(ApiTestKit.VIEWER) || m.contains("Bearer"));
  }

  @Test
  void aBatchIsAcceptedWith202AndItsIdAndWrittenOnceAsOneSubmission() throws Exception {
    HttpResponse<String> r = kit.send("POST", "/v1/batches?batch_id=cat-1", ApiTestKit.SUBMITTER, "text/csv", CSV);
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(json(r).get("batchId").asText()).isEqualTo("cat-1");
    assertThat(json(r).get("requests").asInt()).isEqualTo(2);
    assertThat(r.headers().firstValue("Location")).hasValue("/v1/batches/cat-1");
    assertThat(kit.written).hasSize(1);
    assertThat(kit.written.get(0).batch().getExpectedCount()).isEqualTo(2);
    assertThat(kit.written.get(0).batch().getSubmitter()).isEqualTo("alice");
    assertThat(kit.written.get(0).requests()).extracting(q -> q.getRequestId()).containsExactly("cat-1.A-1", "cat-1.A-2");
    assertThat(kit.metrics.counter("inkflow.api.requests.accepted", "kind", "batch").count()).isEqualTo(2);

    // The same batch id again is a duplicate upload.
    HttpResponse<String> again = kit.send("POST", "/v1/batches?batch_id=cat-1", ApiTestKit.SUBMITTER, "text/csv", CSV);
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(kit.written).hasSize(1);

    // JSON Lines by content type; a generated id.
    HttpResponse<String> jsonl = kit.send("POST", "/v1/batches", ApiTestKit.SUBMITTER, "application/x-ndjson",
        "{\"sku\":\"J-1\",\"prompt\":\"中秋海报\"}\n{\"sku\":\"J-2\",\"prompt\":\"a mug\"}\n");
    assertThat(jsonl.statusCode()).isEqualTo(202);
    assertThat(json(jsonl).get("batchId").asText()).startsWith("api-");
    assertThat(kit.send("POST", "/v1/batches", ApiTestKit.SUBMITTER, "text/plain", CSV).statusCode()).isEqualTo(415);
  }

  @Test
  void aBadUploadIsRefusedWholeWithEveryBadLineAndItsCode() throws Exception {
    String csv = """
        sku,prompt,width,height,steps
        OK-1,a red mug,512,512,
        BIG-2,a red mug,100000,100000,
        A-3,a mug,abc,512,
        OK-1,again,512,512,
        STEPS-5,a mug,,,999
        """;
    HttpResponse<String> r = kit.send("POST", "/v1/batches?batch_id=bad", ApiTestKit.SUBMITTER, "text/csv", csv);
    assertThat(r.statusCode()).isEqualTo(422);
    JsonNode body = json(r);
    assertThat(body.get("detail").asText()).contains("nothing was submitted");
    assertThat(body.get("errors")).extracting(e -> e.get("line").asLong() + " " + e.get("code").asText()).containsExactly(
        "3 SIZE_OUT_OF_RANGE", "4 INVALID_FIELD", "5 DUPLICATE_KEY", "6 STEPS_OUT_OF_RANGE");
    assertThat(kit.written).isEmpty();
    assertThat(kit.view.progress("bad")).isEmpty();

    HttpResponse<String> noPrompt = kit.send("POST", "/v1/batches", ApiTestKit.SUBMITTER, "text/csv", "sku,name\nA,b\n");
    assertThat(noPrompt.statusCode()).isEqualTo(422);
    assertThat(json(noPrompt).get("errors").get(0).get("code").asText()).isEqualTo("MALFORMED_FILE");
    HttpResponse<String> notJson = kit.send("POST", "/v1/requests", ApiTestKit.SUBMITTER, "application/json", "{nope");
    assertThat(notJson.statusCode()).isEqualTo(422);
    assertThat(json(notJson).get("errors").get(0).get("code").asText()).isEqualTo("NOT_JSON");
    assertThat(kit.written).isEmpty();
  }

  @Test
  void anOversizedBodyIs413AndNothingIsWritten() throws Exception {
    StringBuilder big = new StringBuilder("sku,prompt\n");
    for (int i = 0; big.length() <= 64 * 1024; i++) {
      big.append("S-").append(i).append(",a red mug number ").append(i).append('\n');
    }
    HttpResponse<String> r = kit.send("POST", "/v1/batches", ApiTestKit.SUBMITTER, "text/csv", big.toString());
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(json(r).get("detail").asText()).contains("65536");
    assertThat(kit.written).isEmpty();
  }

  @Test
  void theIdempotencyKeyReplaysTheFirstAnswerAndRefusesAnotherBody() throws Exception {
    HttpResponse<String> first = kit.send("POST", "/v1/batches", ApiTestKit.SUBMITTER, "text/csv", CSV, "Idempotency-Key", "k-1");
    HttpResponse<String> retry = kit.send("POST", "/v1/batches", ApiTestKit.SUBMITTER, "text/csv", CSV, "Idempotency-Key", "k-1");
    assertThat(first.statusCode()).isEqualTo(202);
    assertThat(retry.statusCode()).isEqualTo(202);
    assertThat(json(retry).get("batchId").asText()).isEqualTo(json(first).get("batchId").asText());
    assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
    assertThat(kit.written).hasSize(1);
    assertThat(kit.written.get(0).idempotency().getPrincipal()).isEqualTo("alice");
    HttpResponse<String> other = kit.send("POST", "/v1/batches", ApiTestKit.SUBMITTER, "text/csv", CSV + "A-3,x,512,512\n",
        "Idempotency-Key", "k-1");
    assertThat(other.statusCode()).isEqualTo(422);
    assertThat(json(other).get("type").asText()).endsWith("/idempotency-key-reused");
    assertThat(kit.written).hasSize(1);

    HttpResponse<String> req = kit.send("POST", "/v1/requests", ApiTestKit.SUBMITTER, "application/json",
        "{\"prompt\":\"a red mug\",\"request_id\":\"r-1\",\"sku\":\"X\"}", "Idempotency-Key", "k-2");
    HttpResponse<String> reqAgain = kit.send("POST", "/v1/requests", ApiTestKit.SUBMITTER, "application/json",
        "{\"prompt\":\"a red mug\",\"request_id\":\"r-1\",\"sku\":\"X\"}", "Idempotency-Key", "k-2");
    assertThat(req.statusCode()).isEqualTo(202);
    assertThat(json(req).get("requestId").asText()).isEqualTo("r-1");
    assertThat(reqAgain.statusCode()).isEqualTo(202);
    assertThat(kit.written).hasSize(2);
    assertThat(kit.written.get(1).batch()).isNull();
    assertThat(kit.written.get(1).requests().get(0).getBatchId()).isNull();
    assertThat(kit.written.get(1).requests().get(0).getTags()).containsEntry("sku", "X").doesNotContainKey("request_id");
  }

  @Test
  void aTokenOverItsRateLimitGets429UntilItsBucketRefills() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(kit.send("GET", "/v1/requests/none", ApiTestKit.LIMITED, null, null).statusCode()).isEqualTo(404);
    }
    HttpResponse<String> over = kit.send("GET", "/v1/requests/none", ApiTestKit.LIMITED, null, null);
    assertThat(over.statusCode()).isEqualTo(429);
    assertThat(over.headers().firstValue("Retry-After")).hasValue("20");
    // Other tokens have their own buckets.
    assertThat(kit.send("GET", "/v1/requests/none", ApiTestKit.VIEWER, null, null).statusCode()).isEqualTo(404);
    kit.clock.advance(Duration.ofSeconds(20));
    assertThat(kit.send("GET", "/v1/requests/none", ApiTestKit.LIMITED, null, null).statusCode()).isEqualTo(404);
  }

  @Test
  void readsAnswerFromTheViewWithCountsVariantsScoresAndPresignedLinks() throws Exception {
    assertThat(kit.send("POST", "/v1/batches?batch_id=b1", ApiTestKit.SUBMITTER, "text/csv", CSV).statusCode()).isEqualTo(202);
    Instant t = Instant.parse("2026-12-07T12:05:00Z");
    kit.view.apply(RequestResult.newBuilder().setRequestId("b1.A-1").setBatchId("b1").setStatus(RequestStatus.COMPLETED)
        .setNumVariants(2).setCompletedAt(t).setVariants(List.of(
            RankedVariant.newBuilder().setJobId("b1.A-1-1").setVariant(1).setSeed(8).setScore(0.9).setVerdict(Verdict.ACCEPTED)
                .setImageUri("s3://inkflow-images/images/b1/b1.A-1/1-8.png").build(),
            RankedVariant.newBuilder().setJobId("b1.A-1-0").setVariant(0).setSeed(7).setScore(0.2).setVerdict(Verdict.BAD_CASE)
                .setImageUri("s3://inkflow-images/images/b1/b1.A-1/0-7.png").build())).build());

    JsonNode batch = json(kit.send("GET", "/v1/batches/b1", ApiTestKit.VIEWER, null, null));
    assertThat(batch.get("expected").asInt()).isEqualTo(2);
    assertThat(batch.get("done").asInt()).isEqualTo(1);
    assertThat(batch.get("counts").get("completed").asInt()).isEqualTo(1);
    assertThat(batch.get("complete").asBoolean()).isFalse();
    HttpResponse<String> early = kit.send("GET", "/v1/batches/b1/manifest", ApiTestKit.VIEWER, null, null);
    assertThat(early.statusCode()).isEqualTo(409);
    assertThat(json(early).get("detail").asText()).contains("1/2");

    JsonNode req = json(kit.send("GET", "/v1/requests/b1.A-1", ApiTestKit.VIEWER, null, null));
    assertThat(req.get("status").asText()).isEqualTo("COMPLETED");
    assertThat(req.get("variants")).extracting(v -> v.get("score").asDouble()).containsExactly(0.9, 0.2);
    assertThat(req.get("variants").get(0).get("imageUrl").asText())
        .isEqualTo("https://signed.example/inkflow-images/images/b1/b1.A-1/1-8.png?X-Amz-Expires=900");
    assertThat(req.get("variants").get(0).get("imageUrlExpiresAt").asText()).isEqualTo("2026-12-07T12:15:00Z");

    kit.view.apply(RequestResult.newBuilder().setRequestId("b1.A-2").setBatchId("b1").setStatus(RequestStatus.REJECTED)
        .setReasonCode("SIZE_OUT_OF_RANGE").setCompletedAt(t).build());
    kit.view.apply(BatchResult.newBuilder().setBatchId("b1").setExpectedCount(2).setCompleted(1).setRejected(1)
        .setManifestUri("s3://inkflow-images/manifests/b1/manifest.jsonl").setCompletedAt(t).build());
    JsonNode done = json(kit.send("GET", "/v1/batches/b1", ApiTestKit.VIEWER, null, null));
    assertThat(done.get("complete").asBoolean()).isTrue();
    assertThat(done.get("counts").get("rejected").asInt()).isEqualTo(1);
    JsonNode manifest = json(kit.send("GET", "/v1/batches/b1/manifest", ApiTestKit.ANNOTATOR, null, null));
    assertThat(manifest.get("url").asText()).startsWith("https://signed.example/inkflow-images/manifests/b1/manifest.jsonl");
    assertThat(kit.send("GET", "/v1/requests/unknown", ApiTestKit.VIEWER, null, null).statusCode()).isEqualTo(404);
  }
}
