package io.inkflow.infra.submit;

import io.inkflow.catalogue.Catalogue;
import io.inkflow.catalogue.CatalogueCheck;
import io.inkflow.catalogue.RequestIds;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.rewrite.PackPlanner;
import io.inkflow.streams.rewrite.PeLimits;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code scripts/submit}: submits a catalogue as one batch — a {@code BatchSubmitted} with the expected
 * count first, then one {@code PromptRequest} per distinct row — and optionally watches it finish.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Submit a catalogue (CSV or JSON Lines) to inkflow as one batch.",
    subcommands = {StatusCommand.class, ReplayCommand.class, GetCommand.class})
public final class SubmitCli implements Callable<Integer> {

  static final class Input {
    @Option(names = "--csv", description = "CSV file with a header row", required = true)
    Path csv;
    @Option(names = "--jsonl", description = "JSON Lines file, one request object per line", required = true)
    Path jsonl;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Input input;

  @Option(names = "--batch-id", description = "batch id (default: the file name)")
  String batchId;

  @Option(names = "--key-column", defaultValue = "sku", description = "column whose value identifies a row (default: ${DEFAULT-VALUE})")
  String keyColumn;

  @Option(names = "--strict", description = "fail without submitting anything if any row is malformed or duplicated")
  boolean strict;

  @Option(names = "--dry-run", description = "read and check the file, submit nothing")
  boolean dryRun;

  @Option(names = "--pack", paramLabel = "DIR", description = "also check every row against this model pack the way the PE stage "
      + "will (sizes, steps, guidance, token and glyph budgets, with the INKFLOW_PE_* limits of this environment) and report refusals per line")
  Path pack;

  @Option(names = "--wait", description = "show progress until every request has a result")
  boolean await;

  @Option(names = "--timeout", defaultValue = "PT30M", description = "how long --wait waits (ISO-8601, default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--manifest", description = "with --wait: download the batch manifest to this file")
  Path manifest;

  @Option(names = "--submitter", defaultValue = "${sys:user.name}", description = "recorded on the batch (default: ${DEFAULT-VALUE})")
  String submitter;

  @CommandLine.Mixin
  ConnectionOptions connection;

  private final PrintStream out;
  private final PrintStream err;
  private String packLabel;
  private final Map<String, String> env;

  public SubmitCli(PrintStream out, PrintStream err, Map<String, String> env) {
    this.out = out;
    this.err = err;
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /** Runs the command; returns its exit status (0 ok, 1 failed, 2 usage). */
  public static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    CommandLine cli = new CommandLine(new SubmitCli(out, err, env), new CommandLine.IFactory() {
      @Override
      public <K> K create(Class<K> cls) throws Exception {
        if (cls == StatusCommand.class) {
          return cls.cast(new StatusCommand(out, err));
        }
        if (cls == ReplayCommand.class) {
          return cls.cast(new ReplayCommand(out, err));
        }
        if (cls == GetCommand.class) {
          return cls.cast(new GetCommand(out, err, env));
        }
        return CommandLine.defaultFactory().create(cls);
      }
    });
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Override
  public Integer call() throws Exception {
    if (input == null) {
      err.println("expected --csv FILE or --jsonl FILE, or a subcommand (status, replay, get); see --help");
      return 2;
    }
    Path file = input.csv != null ? input.csv : input.jsonl;
    Catalogue.Format format = input.csv != null ? Catalogue.Format.CSV : Catalogue.Format.JSONL;
    String batch = batchId != null ? RequestIds.batchId(batchId)
        : RequestIds.batchId(file.getFileName().toString().replaceFirst("\\.[^.]*$", ""));
    Instant now = Instant.now();
    Catalogue.Result read = Catalogue.read(file, format, batch, keyColumn, now);
    CatalogueCheck.Report report = check(read, now);
    report.findings().forEach(f -> err.println(file.getFileName() + " " + f));
    if (report.planned()) {
      out.printf("pack %s: %d row(s) would be accepted, %d refused%n", packLabel, report.plannedAccepted(), report.plannedRefused());
    }
    if (strict && report.refusals() > 0) {
      err.println("--strict: " + report.refusals() + " problem(s); nothing submitted");
      return 1;
    }
    if (read.requests().isEmpty()) {
      err.println("no valid rows in " + file + "; nothing submitted");
      return 1;
    }
    out.printf("batch %s: %d requests from %s (%d row(s) skipped)%n", batch, read.requests().size(), file.getFileName(),
        read.problems().size());
    if (dryRun) {
      return 0;
    }
    try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(connection.registry())) {
      Topics topics = Topics.create(registry, connection.topicPrefix, Topics.DEFAULT_PARTITIONS, true);
      long start = System.nanoTime();
      BatchSubmitter.submit(connection.kafka(), topics, batch, submitter, file.getFileName().toString(), read.requests());
      out.printf("submitted batch %s: %d requests%n", batch, read.requests().size());
      if (!await) {
        return 0;
      }
      return watch(topics, batch, read.requests().size(), start);
    }
  }

  /**
   * Checks the file as read the way the API and the PE stage do ({@link CatalogueCheck}): with {@link #pack},
   * every row is planned with the PE stage's own planner and this environment's {@code INKFLOW_PE_*} limits.
   */
  private CatalogueCheck.Report check(Catalogue.Result read, Instant now) {
    if (pack == null) {
      return CatalogueCheck.check(read, null, now);
    }
    try (PackPlanner planner = PackPlanner.open(pack, PeLimits.fromEnv(env))) {
      packLabel = planner.pack().id() + "@" + planner.pack().version();
      return CatalogueCheck.check(read, planner, now);
    }
  }

  private int watch(Topics topics, String batch, int expected, long start) throws Exception {
    BatchWatch progress = new BatchWatch(batch, expected, start);
    Map<String, Object> cfg = new HashMap<>(connection.kafka());
    cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean needBatchResult = manifest != null;
    ProgressLine line = new ProgressLine(err, System.console() != null);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : List.of(topics.requestResults.name(), topics.batchResults.name())) {
        consumer.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (!(progress.allRequestsTerminal() && (!needBatchResult || progress.batchResult() != null)) && !batchTimedOut(progress)) {
        if (System.nanoTime() > deadline) {
          err.println();
          err.printf("timed out after %s: %d/%d requests have a result%n", timeout, progress.done(), expected);
          return 1;
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
          if (r.value() == null) {
            continue;
          }
          try {
            if (r.topic().equals(topics.requestResults.name())) {
              progress.accept(topics.requestResults.valueSerde().deserializer().deserialize(r.topic(), r.value()));
            } else {
              progress.accept(topics.batchResults.valueSerde().deserializer().deserialize(r.topic(), r.value()));
            }
          } catch (SerializationException e) {
            err.printf("%nskipping unreadable record %s-%d@%d: %s%n", r.topic(), r.partition(), r.offset(), e.getMessage());
          }
        }
        line.update(progress, System.nanoTime());
      }
    }
    line.finish(progress, System.nanoTime());
    out.println("results: " + progress.byStatus());
    if (batchTimedOut(progress)) {
      err.printf("batch %s timed out waiting for its requests: %d of %d never got a result%n",
          progress.batchResult().getBatchId(), progress.batchResult().getMissing(), progress.batchResult().getExpectedCount());
    }
    if (manifest != null) {
      ObjectKeys.Location where = ObjectKeys.parse(progress.batchResult().getManifestUri());
      try (S3Client s3 = S3Clients.create(S3Settings.fromEnv(env))) {
        Files.write(manifest, s3.getObjectAsBytes(b -> b.bucket(where.bucket()).key(where.key())).asByteArray());
      }
      out.println("manifest: " + manifest);
    }
    return batchTimedOut(progress) ? 1 : 0;
  }

  /** The scoring stream closed the batch on its idle timeout: the missing requests will not come. */
  private static boolean batchTimedOut(BatchWatch progress) {
    return progress.batchResult() != null && progress.batchResult().getTimedOut();
  }
}
