package io.inkflow.infra.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.inkflow.api.ApiConfig;
import io.inkflow.api.ApiService;
import io.inkflow.api.auth.ApiTokens;
import io.inkflow.api.http.Json;
import io.inkflow.api.view.SubjectKeys;
import io.inkflow.api.webhook.WebhookSigner;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.Verdict;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookState;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.submit.SubmitCli;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The API against the real local stack (KRaft broker, registry, S3): one file through {@code scripts/submit},
 * its dry run and the API gives the same {@code PromptRequest}s and the same per-line codes; results on the
 * topics answer the GETs with presigned links; the webhook reaches a loopback receiver that fails its first
 * attempts, and a delivery pending when the API process is killed (SIGKILL) is delivered by the restarted API.
 */
class ApiIT {
  static final String TOKEN = "it-submitter-token-0123456789";
  static final String SECRET = "whsec-it-0123456789abcdef";
  static final Path PACK = Path.of("..", "infra", "models", "tiny-mmdit-flow").toAbsolutePath().normalize();
  static LocalStack stack;
  static RestSchemaRegistryClient registry;

  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("api-it.").withPartitions(1));
    registry = new RestSchemaRegistryClient(RegistryClientConfig.of(stack.connection().registryUrl()));
    Map<String, Object> admin = Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers());
    try (Admin a = Admin.create(admin)) {
      a.createTopics(topics("submit-it.").newTopics()).all().get();
    }
    Files.writeString(dir.resolve("tokens.txt"), "it submitter,viewer " + ApiTokens.hashHex(TOKEN, null) + "\n");
  }

  @AfterAll
  static void stop() {
    registry.close();
    stack.close();
  }

  static Topics topics(String prefix) {
    return Topics.create(registry, prefix, 1, true);
  }

  static ApiService api() throws Exception {
    ApiConfig config = ApiConfig.fromEnv(env(0));
    ApiService service = ApiService.start(config, topics("api-it."), Clock.systemUTC(), List.of());
    await().atMost(Duration.ofSeconds(60)).until(() -> service.notReady().isEmpty());
    return service;
  }

  /**
   * The API as its own JVM ({@code ApiMain}, as {@code scripts/api} runs it), on {@code port}, ready when its
   * {@code /readyz} says so; its output goes to {@code log}.
   */
  static Process child(int port, int probePort, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
        "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "io.inkflow.api.ApiMain");
    pb.environment().putAll(env(port));
    pb.environment().put("INKFLOW_API_HTTP_PORT", Integer.toString(probePort));
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    HttpClient http = HttpClient.newHttpClient();
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
      if (!p.isAlive()) {
        throw new IllegalStateException("the API process exited with " + p.exitValue() + ": " + Files.readString(log));
      }
      try {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + probePort + "/readyz")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
      } catch (IOException e) {
        return false;
      }
    });
    return p;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static Map<String, String> env(int port) {
    Map<String, String> env = new HashMap<>(stack.connection().asEnv());
    env.put("INKFLOW_TOPIC_PREFIX", "api-it.");
    env.put("INKFLOW_TOPIC_PARTITIONS", "1");
    env.put("INKFLOW_PACK_DIR", PACK.toString());
    env.put("INKFLOW_S3_ACCESS_KEY", stack.connection().s3AccessKey());
    env.put("INKFLOW_S3_SECRET_KEY", stack.connection().s3SecretKey());
    env.put("INKFLOW_API_PORT", Integer.toString(port));
    env.put("INKFLOW_API_TOKENS_FILE", dir.resolve("tokens.txt").toString());
    env.put("INKFLOW_API_WEBHOOK_SECRET", SECRET);
    env.put("INKFLOW_API_WEBHOOK_ALLOW_PRIVATE", "true");
    env.put("INKFLOW_API_WEBHOOK_BACKOFF", "PT0.3S");
    env.put("INKFLOW_API_WEBHOOK_TIMEOUT", "PT2S");
    return env;
  }

  static HttpResponse<String> call(ApiService api, String method, String path, String contentType, String body) throws Exception {
    return call(api.port(), method, path, contentType, body);
  }

  static HttpResponse<String> call(int port, String method, String path, String contentType, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Authorization", "Bearer " + TOKEN)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  record Cli(int status, String out, String err) {}

  static Cli submit(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap-servers", stack.connection().bootstrapServers(),
        "--registry-url", stack.connection().registryUrl(), "--topic-prefix", "submit-it."));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = SubmitCli.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    return new Cli(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The request as bytes on the wire, with submittedAt (not part of a request's identity, and a clock reading) zeroed. */
  static byte[] wire(Topic<String, PromptRequest> topic, PromptRequest r) {
    return topic.valueSerde().serializer().serialize(topic.name(), PromptRequest.newBuilder(r).setSubmittedAt(Instant.EPOCH).build());
  }

  @Test
  void oneFileGivesTheSameRequestsAndTheSameLineCodesThroughSubmitItsDryRunAndTheApi() throws Exception {
    Path good = dir.resolve("cat.csv");
    Files.writeString(good, """
        sku,prompt,width,height,num_images,render_text,seed,category
        TEA-1,青花瓷茶杯，白色背景,512,512,2,,7,tableware
        TEA-2,a poster that says “SALE”,512,768,1,SALE,,poster
        TEA-3,a red mug,,,1,,,
        """, StandardCharsets.UTF_8);
    Path bad = dir.resolve("bad.csv");
    Files.writeString(bad, """
        sku,prompt,width,height,steps
        OK-1,a red mug,512,512,
        BIG-2,a red mug,100000,100000,
        A-3,a mug,abc,512,
        OK-1,again,512,512,
        STEPS-5,a mug,,,999
        """, StandardCharsets.UTF_8);
    try (ApiService api = api()) {
      assertThat(submit("--csv", good.toString(), "--batch-id", "same").status()).isZero();
      HttpResponse<String> posted = call(api, "POST", "/v1/batches?batch_id=same", "text/csv", Files.readString(good));
      assertThat(posted.statusCode()).isEqualTo(202);
      Topics viaCli = topics("submit-it.");
      Topics viaApi = topics("api-it.");
      List<PromptRequest> cli = TopicReader.readUntil(stack.connection().bootstrapServers(), viaCli.promptRequests, 3, r -> false)
          .stream().filter(r -> "same".equals(r.getBatchId())).toList();
      List<PromptRequest> http = TopicReader.readUntil(stack.connection().bootstrapServers(), viaApi.promptRequests, 3, r -> false)
          .stream().filter(r -> "same".equals(r.getBatchId())).toList();
      assertThat(http).hasSize(3);
      assertThat(cli).hasSize(3);
      for (int i = 0; i < 3; i++) {
        assertThat(wire(viaApi.promptRequests, http.get(i))).as(http.get(i).getRequestId()).isEqualTo(wire(viaCli.promptRequests, cli.get(i)));
      }

      Cli dry = submit("--csv", bad.toString(), "--dry-run", "--pack", PACK.toString());
      Cli sent = submit("--csv", bad.toString(), "--batch-id", "bad", "--pack", PACK.toString());
      HttpResponse<String> refused = call(api, "POST", "/v1/batches?batch_id=bad", "text/csv", Files.readString(bad));
      List<String> expected = List.of("3 SIZE_OUT_OF_RANGE", "4 INVALID_FIELD", "5 DUPLICATE_KEY", "6 STEPS_OUT_OF_RANGE");
      assertThat(lineCodes(dry.err())).isEqualTo(expected);
      assertThat(lineCodes(sent.err())).isEqualTo(expected);
      assertThat(refused.statusCode()).isEqualTo(422);
      List<String> apiCodes = new ArrayList<>();
      Json.MAPPER.readTree(refused.body()).get("errors").forEach(e -> apiCodes.add(e.get("line").asLong() + " " + e.get("code").asText()));
      assertThat(apiCodes).isEqualTo(expected);
      assertThat(TopicReader.readAll(stack.connection().bootstrapServers(), viaApi.batches))
          .extracting(b -> b.getBatchId()).contains("same").doesNotContain("bad");
    }
  }

  static List<String> lineCodes(String err) {
    return err.lines().filter(l -> l.contains(" line ")).map(l -> l.replaceFirst("^\\S+ line (\\d+): ([A-Z_]+):.*$", "$1 $2")).toList();
  }

  @Test
  void resultsAnswerTheGetsAndTheWebhookIsRetriedAndSurvivesAKillOfTheApi() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    // Fails every attempt of the first API process, so only the restarted one can deliver.
    AtomicInteger failuresLeft = new AtomicInteger(Integer.MAX_VALUE);
    HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/hook", ex -> {
      try (ex) {
        byte[] body = ex.getRequestBody().readAllBytes();
        try {
          WebhookSigner.verify(SECRET.getBytes(StandardCharsets.UTF_8), ex.getRequestHeaders().getFirst(WebhookSigner.HEADER), body,
              Instant.now());
          events.add(Json.MAPPER.readTree(body).get("id").asText());
          ex.sendResponseHeaders(failuresLeft.getAndDecrement() > 0 ? 500 : 200, -1);
        } catch (IllegalArgumentException e) {
          ex.sendResponseHeaders(400, -1);
        }
      }
    });
    receiver.start();
    String hook = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
    Topics t = topics("api-it.");
    String key = SubjectKeys.batch("hooked");
    try {
      int api = freePort();
      Process first = child(api, freePort(), dir.resolve("api-first.log"));
      try {
        HttpResponse<String> posted = call(api, "POST", "/v1/batches?batch_id=hooked&callback_url=" + hook, "text/csv",
            "sku,prompt\nH-1,a red mug\n");
        assertThat(posted.statusCode()).isEqualTo(202);
        produceResults(t, "hooked", "hooked.H-1");
        await().atMost(Duration.ofSeconds(30)).until(() -> call(api, "GET", "/v1/batches/hooked", null, null).body().contains("\"complete\":true"));
        JsonNode req = Json.MAPPER.readTree(call(api, "GET", "/v1/requests/hooked.H-1", null, null).body());
        assertThat(req.get("variants").get(0).get("score").asDouble()).isEqualTo(0.8);
        assertThat(req.get("variants").get(0).get("imageUrl").asText()).startsWith(stack.connection().s3Endpoint().toString())
            .contains("X-Amz-Signature=");
        JsonNode manifest = Json.MAPPER.readTree(call(api, "GET", "/v1/batches/hooked/manifest", null, null).body());
        assertThat(manifest.get("url").asText()).contains("manifests/hooked/manifest.jsonl").contains("X-Amz-Expires=900");
        // Two failed attempts, recorded; then the API process is killed (SIGKILL: no shutdown hook runs).
        await().atMost(Duration.ofSeconds(30)).until(() -> events.size() >= 2);
        receiver.stop(0);
      } finally {
        first.destroyForcibly();
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(first.exitValue()).as("killed, not stopped").isEqualTo(137);
      // The receiver was down while the API was down; it comes back on the same address.
      HttpServer back = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), URI.create(hook).getPort()), 0);
      back.createContext("/hook", ex -> {
        try (ex) {
          byte[] body = ex.getRequestBody().readAllBytes();
          WebhookSigner.verify(SECRET.getBytes(StandardCharsets.UTF_8), ex.getRequestHeaders().getFirst(WebhookSigner.HEADER), body,
              Instant.now());
          events.add(Json.MAPPER.readTree(body).get("id").asText());
          ex.sendResponseHeaders(200, -1);
        }
      });
      back.start();
      try (ApiService restarted = api()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> restarted.view().delivery(key)
            .map(d -> d.getState() == WebhookState.DELIVERED).orElse(false));
      } finally {
        back.stop(0);
      }
    } finally {
      receiver.stop(0);
    }
    assertThat(events).hasSizeGreaterThanOrEqualTo(3).containsOnly(events.get(0));
    List<WebhookDelivery> recorded = TopicReader.readAll(stack.connection().bootstrapServers(), t.webhookDeliveries).stream()
        .filter(d -> d.getSubjectId().equals("hooked")).toList();
    assertThat(recorded.get(0).getState()).isEqualTo(WebhookState.REGISTERED);
    assertThat(recorded.get(recorded.size() - 1).getState()).isEqualTo(WebhookState.DELIVERED);
    assertThat(recorded).extracting(WebhookDelivery::getAttempt).isSorted();
  }

  /** What the scoring stream writes when the batch finishes: one result, the manifest, the batch result. */
  static void produceResults(Topics t, String batchId, String requestId) throws Exception {
    Instant now = Instant.now();
    stack.connection().s3Client().putObject(b -> b.bucket(stack.connection().bucket()).key("manifests/" + batchId + "/manifest.jsonl"),
        RequestBody.fromString("{}\n"));
    RequestResult result = RequestResult.newBuilder().setRequestId(requestId).setBatchId(batchId).setStatus(RequestStatus.COMPLETED)
        .setNumVariants(1).setCompletedAt(now).setVariants(List.of(RankedVariant.newBuilder().setJobId(requestId + "-0").setVariant(0)
            .setSeed(1).setScore(0.8).setVerdict(Verdict.ACCEPTED).setImageUri("s3://" + stack.connection().bucket() + "/images/"
                + batchId + "/" + requestId + "/0-1.png").build())).build();
    BatchResult batch = BatchResult.newBuilder().setBatchId(batchId).setExpectedCount(1).setCompleted(1).setImagesGenerated(1)
        .setManifestUri("s3://" + stack.connection().bucket() + "/manifests/" + batchId + "/manifest.jsonl").setCompletedAt(now).build();
    Map<String, Object> cfg = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers());
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(cfg, new StringSerializer(), new ByteArraySerializer())) {
      p.send(new ProducerRecord<>(t.requestResults.name(), requestId,
          t.requestResults.valueSerde().serializer().serialize(t.requestResults.name(), result))).get();
      p.send(new ProducerRecord<>(t.batchResults.name(), batchId,
          t.batchResults.valueSerde().serializer().serialize(t.batchResults.name(), batch))).get();
    }
  }
}
