package io.inkflow.infra.demo;

import io.inkflow.api.ApiMain;
import io.inkflow.api.auth.ApiTokens;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.local.Ports;
import io.inkflow.infra.submit.BatchSubmitter;
import io.inkflow.infra.submit.BatchWatch;
import io.inkflow.catalogue.Catalogue;
import io.inkflow.infra.submit.ProgressLine;
import io.inkflow.catalogue.RequestIds;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import io.inkflow.streams.scoring.ScoringApp;
import io.inkflow.workers.generate.GenerationWorkerMain;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code scripts/demo}: the whole pipeline on the embedded local stack. Starts the stack in this JVM and
 * the PE-rewrite stream, one generation worker and the scoring stream as child JVMs, submits a
 * catalogue as one batch, shows its progress, and writes the manifest, the best image of every request
 * and a contact sheet under the output folder. Exits non-zero if any request did not complete.
 *
 * <p>With {@code --serve}, a run in which every request completed leaves the stack and the services up and
 * adds the HTTP API (and its console) as one more child JVM on 127.0.0.1, with a fresh random token per
 * role whose hashes only reach the API's tokens file; the URLs and the tokens are printed once on the
 * terminal. Ctrl-C / SIGTERM then stops every child by its process id and the stack.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the whole inkflow pipeline on a sample catalogue.")
public final class DemoMain implements Callable<Integer> {
  @Option(names = "--output", defaultValue = "demo-output", description = "where results go (default: ${DEFAULT-VALUE})")
  Path output;

  @Option(names = "--catalog", description = "catalogue CSV (default: the pack's own catalog.csv when it has one,"
      + " as a pack trained on a closed vocabulary does, else examples/catalog-sample.csv)")
  Path catalog;

  @Option(names = "--pack", defaultValue = "infra/models/mini-mmdit-flow", description = "generation pack (default: ${DEFAULT-VALUE})")
  Path pack;

  @Option(names = "--reward-pack", defaultValue = "infra/models/mini-reward", description = "reward pack (default: ${DEFAULT-VALUE})")
  Path rewardPack;

  @Option(names = "--timeout", defaultValue = "PT10M", description = "give up after (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--serve", description = "after a run in which every request completed, keep the stack and the services up,"
      + " start the HTTP API and its console on 127.0.0.1 with a fresh token per role, print the URLs and the tokens,"
      + " and stop everything on Ctrl-C / SIGTERM")
  boolean serve;

  @Option(names = "--api-port", defaultValue = "8088", description = "with --serve: the API's port on 127.0.0.1; 0: a free one"
      + " (default: ${DEFAULT-VALUE})")
  int apiPort;

  /** The roles of the tokens {@code --serve} makes, one token each. */
  static final List<String> ROLES = List.of("viewer", "submitter", "annotator");

  private final PrintStream out = System.out;
  private final PrintStream err = System.err;
  private final Hooks hooks;
  /** Counted down by the shutdown hook of {@code --serve}: the run or the serving stops and everything closes. */
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  /** Counted down once every child and the stack are closed: the shutdown hook lets the JVM exit then. */
  private final CountDownLatch closed = new CountDownLatch(1);

  /** Seams for tests: act on the running stack before the batch is submitted and after it completed. */
  public interface Hooks {
    default void beforeSubmit(LocalStack stack) throws Exception {}

    default void afterBatch(LocalStack stack) throws Exception {}
  }

  public DemoMain() {
    this(new Hooks() {});
  }

  public DemoMain(Hooks hooks) {
    this.hooks = hooks;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new DemoMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!serve) {
      return run();
    }
    // SIGTERM (or Ctrl-C) runs this hook; the JVM exits when it returns, so it waits for the main thread
    // to stop every child by its process id and close the stack.
    Thread hook = new Thread(() -> {
      stopRequested.countDown();
      try {
        if (!closed.await(5, TimeUnit.MINUTES)) {
          err.println("the demo did not stop within 5 minutes; exiting anyway");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return run();
    } finally {
      closed.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook is running and returns now that everything is closed
      }
    }
  }

  private int run() throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(output.resolve("images"));
    Path logs = Files.createDirectories(output.resolve("logs"));
    if (catalog == null) {
      Path own = pack.resolve("catalog.csv");
      catalog = Files.exists(own) ? own : Path.of("examples", "catalog-sample.csv");
    }
    String batchId = RequestIds.batchId(catalog.getFileName().toString().replaceFirst("\\.[^.]*$", ""));
    Catalogue.Result read = Catalogue.read(catalog, Catalogue.Format.CSV, batchId, "sku", Instant.now());
    read.problems().forEach(p -> err.println(catalog.getFileName() + " " + p));
    if (read.requests().isEmpty()) {
      err.println("no valid rows in " + catalog);
      return 1;
    }
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral().withPartitions(2))) {
      out.printf("local stack up in %d ms (Kafka %s, registry %s, S3 %s)%n", stack.startMillis(),
          stack.connection().bootstrapServers(), stack.connection().registryUrl(), stack.connection().s3Endpoint());
      Map<String, String> env = new HashMap<>(stack.connection().asEnv());
      env.putAll(stack.topics().settings().asEnv());
      env.put("INKFLOW_PACK_DIR", pack.toAbsolutePath().toString());
      env.put("INKFLOW_REWARD_PACK_DIR", rewardPack.toAbsolutePath().toString());
      env.put("INKFLOW_WORKER_CLAIM_DIR", stack.dataDir().resolve("claims").toString());
      List<ServiceProcess> services = new ArrayList<>();
      try {
        services.add(ServiceProcess.start("pe-rewrite", PromptRewriteApp.class,
            with(env, "INKFLOW_STATE_DIR", stack.dataDir().resolve("state-pe").toString()), logs.resolve("pe-rewrite.log"), "384m"));
        services.add(ServiceProcess.start("worker", GenerationWorkerMain.class, env, logs.resolve("worker.log"), "1g"));
        services.add(ServiceProcess.start("scoring", ScoringApp.class,
            with(env, "INKFLOW_STATE_DIR", stack.dataDir().resolve("state-scoring").toString()), logs.resolve("scoring.log"), "768m"));
        out.printf("started the PE-rewrite stream, a generation worker and the scoring stream (logs in %s)%n", logs);
        Topics topics = stack.topics();
        hooks.beforeSubmit(stack);
        long submitNanos = System.nanoTime();
        BatchSubmitter.submit(stack.connection().bootstrapServers(), topics, batchId, "demo", catalog.getFileName().toString(), read.requests());
        out.printf("submitted %d requests from %s%n", read.requests().size(), catalog);
        Watch watch = watch(stack, topics, batchId, read.requests().size(), submitNanos, services);
        if (watch == null) {
          return 1;
        }
        int status = report(stack, watch);
        hooks.afterBatch(stack);
        out.printf("demo finished in %.1f s from the stack's start%n", (System.nanoTime() - t0) / 1e9);
        if (!serve) {
          return status;
        }
        if (status != 0) {
          err.println("not serving: the run did not complete every request");
          return status;
        }
        return serveUntilStopped(env, stack.dataDir(), logs, batchId, services);
      } finally {
        for (int i = services.size() - 1; i >= 0; i--) {
          services.get(i).close();
        }
      }
    }
  }

  private static Map<String, String> with(Map<String, String> env, String key, String value) {
    Map<String, String> m = new HashMap<>(env);
    m.put(key, value);
    return m;
  }

  /** What the demo saw: results by request, the batch result, and per-request language and rewritten prompt. */
  private record Watch(BatchWatch progress, Map<String, ScoredImage> firstScored) {}

  private Watch watch(LocalStack stack, Topics topics, String batchId, int expected, long start, List<ServiceProcess> services) {
    BatchWatch progress = new BatchWatch(batchId, expected, start);
    Map<String, ScoredImage> scored = new HashMap<>();
    Map<String, Object> cfg = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    long deadline = System.nanoTime() + timeout.toNanos();
    ProgressLine line = new ProgressLine(err, System.console() != null);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : List.of(topics.requestResults.name(), topics.batchResults.name(), topics.imagesScored.name())) {
        consumer.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (progress.batchResult() == null) {
        if (stopRequested.getCount() == 0) {
          err.printf("%nstopped with %d/%d requests done%n", progress.done(), expected);
          return null;
        }
        if (System.nanoTime() > deadline) {
          err.printf("%ntimed out after %s with %d/%d requests done; service logs are in %s%n", timeout, progress.done(), expected,
              output.resolve("logs"));
          return null;
        }
        for (ServiceProcess s : services) {
          if (!s.alive()) {
            err.printf("%nthe %s service stopped unexpectedly; its log: %s%n", s.name(), s.log());
            return null;
          }
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
          if (r.value() == null) {
            continue;
          }
          try {
            if (r.topic().equals(topics.requestResults.name())) {
              progress.accept(topics.requestResults.valueSerde().deserializer().deserialize(r.topic(), r.value()));
            } else if (r.topic().equals(topics.batchResults.name())) {
              progress.accept(topics.batchResults.valueSerde().deserializer().deserialize(r.topic(), r.value()));
            } else {
              ScoredImage s = topics.imagesScored.valueSerde().deserializer().deserialize(r.topic(), r.value());
              scored.putIfAbsent(s.getImage().getJob().getRequest().getRequestId(), s);
            }
          } catch (SerializationException e) {
            err.printf("%nskipping unreadable record %s-%d@%d: %s%n", r.topic(), r.partition(), r.offset(), e.getMessage());
          }
        }
        line.update(progress, System.nanoTime());
      }
    }
    line.finish(progress, System.nanoTime());
    return new Watch(progress, scored);
  }

  /**
   * Starts the API as one more child JVM (added to {@code services}, so it is closed with them) on 127.0.0.1,
   * waits until its {@code /readyz} answers 200, prints its URLs and the fresh tokens, and waits for
   * Ctrl-C / SIGTERM. Returns 0 when stopped so, 1 when the API could not start or a service died meanwhile.
   */
  private int serveUntilStopped(Map<String, String> env, Path dataDir, Path logs, String batchId, List<ServiceProcess> services)
      throws IOException, InterruptedException {
    int port = apiPort == 0 ? Ports.orFree(0) : apiPort;
    if (!portFree(port)) {
      err.printf("not serving: port %d on 127.0.0.1 is taken (--api-port 0 picks a free one)%n", port);
      return 1;
    }
    int probePort = Ports.orFree(0);
    SecureRandom random = new SecureRandom();
    Map<String, String> tokens = new LinkedHashMap<>();
    StringBuilder lines = new StringBuilder();
    for (String role : ROLES) {
      String token = secret(random);
      tokens.put(role, token);
      lines.append("demo-").append(role).append(' ').append(role).append(' ').append(ApiTokens.hashHex(token, null)).append('\n');
    }
    String webhookSecret = secret(random);
    // Hashes only, in the stack's data directory, which is deleted with the stack.
    Path tokensFile = dataDir.resolve("api-tokens.txt");
    Files.writeString(tokensFile, lines);
    Files.setPosixFilePermissions(tokensFile, PosixFilePermissions.fromString("rw-------"));
    Map<String, String> apiEnv = new HashMap<>(env);
    apiEnv.put("INKFLOW_API_BIND", "127.0.0.1");
    apiEnv.put("INKFLOW_API_PORT", Integer.toString(port));
    apiEnv.put("INKFLOW_HTTP_BIND", "127.0.0.1");
    apiEnv.put("INKFLOW_API_HTTP_PORT", Integer.toString(probePort));
    apiEnv.put("INKFLOW_API_TOKENS_FILE", tokensFile.toString());
    apiEnv.put("INKFLOW_S3_ACCESS_KEY", env.get("AWS_ACCESS_KEY_ID"));
    apiEnv.put("INKFLOW_S3_SECRET_KEY", env.get("AWS_SECRET_ACCESS_KEY"));
    apiEnv.put("INKFLOW_API_WEBHOOK_SECRET", webhookSecret);
    // Callbacks go to a receiver on this machine only.
    apiEnv.put("INKFLOW_API_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1,localhost,::1");
    apiEnv.put("INKFLOW_API_WEBHOOK_ALLOW_PRIVATE", "true");
    ServiceProcess api = ServiceProcess.start("api", ApiMain.class, apiEnv, logs.resolve("api.log"), "384m");
    services.add(api);
    URI readyz = URI.create("http://127.0.0.1:" + probePort + "/readyz");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (!ready(http, readyz)) {
      if (!api.alive()) {
        err.printf("the API stopped with status %d while starting; its log: %s%n", api.exitValue(), api.log());
        return 1;
      }
      if (System.nanoTime() > deadline) {
        err.printf("the API was not ready within 2 minutes; its log: %s%n", api.log());
        return 1;
      }
      // the poll interval, cut short by Ctrl-C / SIGTERM
      if (stopRequested.await(250, TimeUnit.MILLISECONDS)) {
        return 0;
      }
    }
    String base = "http://127.0.0.1:" + port;
    out.printf("%nserving until Ctrl-C / SIGTERM (API log: %s)%n", api.log());
    out.printf("  API      %s/v1/ (OpenAPI: %s/v1/openapi.yaml; this batch: %s/v1/batches/%s)%n", base, base, base, batchId);
    out.printf("  console  %s/console/%n", base);
    out.printf("  readyz   %s%n", readyz);
    out.println("  tokens, valid until the demo stops and shown only here (Authorization: Bearer <token>):");
    tokens.forEach((role, token) -> out.printf("    %-10s %s%n", role, token));
    out.printf("  webhook signing secret (callbacks to 127.0.0.1 / localhost only): %s%n", webhookSecret);
    out.flush();
    while (!stopRequested.await(1, TimeUnit.SECONDS)) {
      for (ServiceProcess s : services) {
        if (!s.alive() && stopRequested.getCount() > 0) {
          err.printf("the %s service stopped unexpectedly; its log: %s; stopping the demo%n", s.name(), s.log());
          return 1;
        }
      }
    }
    out.println("stopping the services and the local stack");
    return 0;
  }

  /** 256 random bits, URL-safe Base64. */
  private static String secret(SecureRandom random) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean ready(HttpClient http, URI readyz) throws InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  private int report(LocalStack stack, Watch watch) throws IOException {
    BatchResult batch = watch.progress().batchResult();
    Map<String, byte[]> sheet = new LinkedHashMap<>();
    List<String[]> rows = new ArrayList<>();
    int failed = 0;
    try (S3Client s3 = stack.connection().s3Client()) {
      ObjectKeys.Location manifest = ObjectKeys.parse(batch.getManifestUri());
      Files.write(output.resolve("manifest.jsonl"), s3.getObjectAsBytes(b -> b.bucket(manifest.bucket()).key(manifest.key())).asByteArray());
      List<RequestResult> results = new ArrayList<>(watch.progress().results().values());
      results.sort((a, b) -> a.getRequestId().compareTo(b.getRequestId()));
      for (RequestResult r : results) {
        String sku = r.getTags().getOrDefault("sku", r.getRequestId());
        ScoredImage s = watch.firstScored().get(r.getRequestId());
        RankedVariant best = r.getBestVariant();
        // A refusal by the PE stage is an answer, not a failure; anything short of complete is.
        if (r.getStatus() != RequestStatus.COMPLETED && r.getStatus() != RequestStatus.REJECTED) {
          failed++;
        }
        String uri = best == null ? "-" : best.getImageUri();
        if (best != null && best.getImageUri() != null) {
          ObjectKeys.Location where = ObjectKeys.parse(best.getImageUri());
          byte[] png = s3.getObjectAsBytes(b -> b.bucket(where.bucket()).key(where.key())).asByteArray();
          Files.write(output.resolve("images").resolve(ObjectKeys.segment(sku) + ".png"), png);
          sheet.put(sku, png);
        }
        rows.add(new String[] {sku,
            s == null ? "-" : s.getImage().getJob().getDetectedLanguage().name().toLowerCase(Locale.ROOT),
            s == null ? "-" : excerpt(s.getImage().getJob().getRewrittenPrompt(), 38),
            best == null || best.getScore() == null ? "-" : String.format(Locale.ROOT, "%.3f", best.getScore()),
            best == null ? r.getStatus().name() : best.getVerdict().name(),
            uri});
      }
    }
    ContactSheet.write(sheet, output.resolve("contact-sheet.png"));
    out.printf("%n%-10s %-6s %-40s %-6s %-9s %s%n", "sku", "lang", "rewritten prompt", "best", "verdict", "s3 uri");
    for (String[] row : rows) {
      out.printf("%-10s %-6s %-40s %-6s %-9s %s%n", (Object[]) row);
    }
    out.printf("%nbatch %s: %d completed, %d partial, %d failed, %d rejected, %d missing of %d%s; %d images, %d bad cases%n",
        batch.getBatchId(), batch.getCompleted(), batch.getPartial(), batch.getFailed(), batch.getRejected(), batch.getMissing(),
        batch.getExpectedCount(), batch.getTimedOut() ? " (timed out)" : "", batch.getImagesGenerated(), batch.getBadCases());
    out.printf("wrote %s, %s (%d images) and %s%n", output.resolve("manifest.jsonl"), output.resolve("images"), sheet.size(),
        output.resolve("contact-sheet.png"));
    int counted = batch.getCompleted() + batch.getPartial() + batch.getFailed() + batch.getRejected();
    if (counted != batch.getExpectedCount() || watch.progress().done() != batch.getExpectedCount()) {
      err.printf("counts do not add up: batch result counts %d, %d requests answered, %d expected%n", counted,
          watch.progress().done(), batch.getExpectedCount());
      return 1;
    }
    if (watch.progress().repeatedResults() > 0) {
      err.printf("%d request(s) were answered more than once%n", watch.progress().repeatedResults());
      return 1;
    }
    if (failed > 0) {
      err.printf("%d request(s) did not complete; see %s%n", failed, output.resolve("manifest.jsonl"));
    }
    return failed == 0 ? 0 : 1;
  }

  private static String excerpt(String s, int max) {
    String one = s.replaceAll("\\s+", " ");
    return one.codePointCount(0, one.length()) <= max ? one : one.substring(0, one.offsetByCodePoints(0, max - 1)) + "…";
  }
}
