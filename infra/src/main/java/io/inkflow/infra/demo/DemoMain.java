package io.inkflow.infra.demo;

import io.inkflow.avro.BatchResult;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
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

  private final PrintStream out = System.out;
  private final PrintStream err = System.err;
  private final Hooks hooks;

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
        return status;
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
