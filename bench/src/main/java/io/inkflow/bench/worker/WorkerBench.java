package io.inkflow.bench.worker;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.Size;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.workers.generate.ClaimStore;
import io.inkflow.workers.generate.GenerationWorker;
import io.inkflow.workers.generate.GenerationWorkerMain;
import io.inkflow.workers.generate.ImageGenerator;
import io.inkflow.workers.generate.PipelineGenerator;
import io.inkflow.workers.generate.PrometheusEndpoint;
import io.inkflow.workers.generate.SyntheticGenerator;
import io.inkflow.workers.generate.WorkerConfig;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Benchmarks (not tests) of the generation worker against a running local stack (connection from the
 * environment, as {@code scripts/local-up} prints it). The first argument picks one, the rest are its flags:
 *
 * <ul>
 *   <li>{@code worker} ({@code scripts/bench/worker}): pipeline efficiency. 256x256 (the tiny pack unless --pack), the pack's
 *       default steps, batch 4; both sides run the same session options. Per round, the bare loop (render + PNG
 *       on one thread, batches of 4) and the worker (jobs on Kafka → S3 + events) generate the same number of
 *       images; sides alternate, after unreported warm-up rounds, so that the JIT has compiled the worker's
 *       Kafka, Avro and S3 paths before anything is timed. Prints efficiency (worker images/s ÷ bare images/s)
 *       and overhead per image.</li>
 *   <li>{@code feed} ({@code scripts/bench/worker-feed}): a synthetic generator returning 512x512 images at
 *       once, so the worker's CPU side (PNG, upload, produce) is the limit. Prints the sustained rate and the
 *       per-stage times that bound it.</li>
 * </ul>
 */
public final class WorkerBench implements AutoCloseable {
  private final Map<String, String> env;
  private final RestSchemaRegistryClient registry;
  private final S3Client s3;
  private final String bootstrap;

  private WorkerBench(Map<String, String> env) {
    this.env = env;
    this.bootstrap = env.get("INKFLOW_BOOTSTRAP_SERVERS");
    this.registry = new RestSchemaRegistryClient(RegistryClientConfig.of(env.get("INKFLOW_REGISTRY_URL")));
    this.s3 = S3Clients.create(io.inkflow.storage.S3Settings.fromEnv(env));
  }

  public static void main(String[] args) {
    Callable<Integer> command = switch (args.length == 0 ? "" : args[0]) {
      case "worker" -> new Efficiency();
      case "feed" -> new Feed();
      default -> null;
    };
    if (command == null) {
      System.err.println("expected the benchmark, worker or feed, as the first argument, found "
          + (args.length == 0 ? "none" : "'" + args[0] + "'"));
      System.exit(2);
    }
    System.exit(new CommandLine(command).execute(Arrays.copyOfRange(args, 1, args.length)));
  }

  /** Closes the bench's S3 and registry clients. */
  @Override
  public void close() {
    s3.close();
    registry.close();
  }

  private static WorkerConfig.PngMode pngMode(CommandSpec spec, String text) {
    try {
      return WorkerConfig.PngMode.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--png: expected standard or fast, found '" + text + "'");
    }
  }

  @Command(name = "scripts/bench/worker", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Pipeline efficiency: the generation worker against the bare render loop, on a running local stack.")
  static final class Efficiency implements Callable<Integer> {
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "5",
        description = "reported rounds; sides alternate (default: ${DEFAULT-VALUE})")
    private int rounds;

    @Option(names = "--images", paramLabel = "N", defaultValue = "48", description = "images per side and round (default: ${DEFAULT-VALUE})")
    private int images;

    @Option(names = "--png", paramLabel = "MODE", defaultValue = "standard",
        description = "PNG encoder on both sides: standard or fast (default: ${DEFAULT-VALUE})")
    private String png;

    @Option(names = "--intra-op-threads", paramLabel = "N", defaultValue = "0",
        description = "ONNX Runtime threads per operator on both sides; 0: its own choice, one per core; 1 leaves the"
            + " second core to the host work, as an accelerator would (default: ${DEFAULT-VALUE})")
    private int intraOpThreads;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3",
        description = "unreported warm-up rounds before the reported ones (default: ${DEFAULT-VALUE})")
    private int warmup;

    @Option(names = "--pack", paramLabel = "DIR", defaultValue = "infra/models/tiny-mmdit-flow",
        description = "the generation pack (default: ${DEFAULT-VALUE})")
    private Path pack;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (rounds < 1 || images < 1 || warmup < 0 || intraOpThreads < 0) {
        throw new ParameterException(spec.commandLine(), "expected --rounds >= 1, --images >= 1, --warmup >= 0 and"
            + " --intra-op-threads >= 0, found " + rounds + ", " + images + ", " + warmup + ", " + intraOpThreads);
      }
      WorkerConfig.PngMode mode = pngMode(spec, png);
      try (WorkerBench bench = new WorkerBench(System.getenv())) {
        bench.worker(pack, rounds, images, mode, intraOpThreads, warmup);
      }
      return 0;
    }
  }

  @Command(name = "scripts/bench/worker-feed", mixinStandardHelpOptions = true, sortOptions = false,
      description = "How fast the worker's CPU side (PNG, upload, produce) feeds an infinitely fast accelerator,"
          + " on a running local stack.")
  static final class Feed implements Callable<Integer> {
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
        description = "reported rounds, after one unreported warm-up round (default: ${DEFAULT-VALUE})")
    private int rounds;

    @Option(names = "--images", paramLabel = "N", defaultValue = "300", description = "images per round (default: ${DEFAULT-VALUE})")
    private int images;

    @Option(names = "--output-threads", paramLabel = "N", defaultValue = "4",
        description = "the worker's output threads (PNG, upload, produce) (default: ${DEFAULT-VALUE})")
    private int outputThreads;

    @Option(names = "--png", paramLabel = "MODE", defaultValue = "fast",
        description = "PNG encoder: fast or standard (default: ${DEFAULT-VALUE})")
    private String png;

    @Spec
    private CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (rounds < 1 || images < 1 || outputThreads < 1) {
        throw new ParameterException(spec.commandLine(), "expected --rounds, --images and --output-threads >= 1, found "
            + rounds + ", " + images + ", " + outputThreads);
      }
      WorkerConfig.PngMode mode = pngMode(spec, png);
      try (WorkerBench bench = new WorkerBench(System.getenv())) {
        bench.feed(rounds, images, outputThreads, mode);
      }
      return 0;
    }
  }

  private void worker(Path packDir, int rounds, int images, WorkerConfig.PngMode png, int intraOpThreads, int warmup)
      throws Exception {
    SessionOptionsConfig options = SessionOptionsConfig.cpu().withIntraOpThreads(intraOpThreads);
    try (PipelineGenerator generator = PipelineGenerator.open(packDir, options, png.encoder())) {
      int steps = generator.pipeline().manifest().scheduler().defaultSteps();
      System.out.printf(Locale.ROOT, "worker bench: pack %s@%s, 256x256, %d steps, batch 4, PNG %s, intra-op threads %s,"
              + " %d images per side, %d rounds (+%d warm-up)%n", generator.packId(), generator.packVersion(), steps, png,
          intraOpThreads == 0 ? "ONNX Runtime's choice" : Integer.toString(intraOpThreads), images, rounds, warmup);
      double[] efficiency = new double[rounds];
      double[] overheadMs = new double[rounds];
      double[] busy = new double[rounds];
      for (int round = -warmup; round < rounds; round++) {
        double[] bareRun;
        Run run;
        if (Math.floorMod(round, 2) == 0) {
          bareRun = bare(generator, images, 256, steps);
          run = timedWorker(generator, images, steps, round);
        } else {
          run = timedWorker(generator, images, steps, round);
          bareRun = bare(generator, images, 256, steps);
        }
        double bare = bareRun[0];
        double worker = run.seconds;
        String label = round < 0 ? "warm-up " + (round + warmup + 1) : "round " + (round + 1);
        System.out.printf(Locale.ROOT, "%-8s bare %.2f img/s (%.1f ms/img, render %.1f), worker %.2f img/s (%.1f ms/img, render %.1f), "
                + "efficiency %.3f, overhead %.2f ms/img, inference busy %.3f%n",
            label, images / bare, bare * 1000 / images, bareRun[1] * 1000 / images, images / worker, worker * 1000 / images,
            run.renderSeconds * 1000 / images, bare / worker, (worker - bare) * 1000 / images, run.renderSeconds / worker);
        if (round >= 0) {
          efficiency[round] = bare / worker;
          overheadMs[round] = (worker - bare) * 1000 / images;
          busy[round] = run.renderSeconds / worker;
        }
      }
      System.out.printf(Locale.ROOT, "median inference busy fraction in the worker %.3f%n", median(busy));
      System.out.printf(Locale.ROOT, "median efficiency %.3f (target >= 0.95), median overhead %.2f ms/img (target < 5), RSS %d MB%n",
          median(efficiency), median(overheadMs), rssMb());
    }
  }

  private Run timedWorker(ImageGenerator generator, int images, int steps, int round) throws Exception {
    Run run = throughWorker(generator, images, 256, steps, 4, 2, "w" + round);
    run.metrics.close();
    return run;
  }

  /** encode + sample + decode + PNG, batches of 4, on this thread. */
  private static double[] bare(ImageGenerator generator, int images, int side, int steps) {
    long start = System.nanoTime();
    long render = 0;
    for (int i = 0; i < images; i += 4) {
      List<ImageRequest> batch = new ArrayList<>();
      for (int j = i; j < Math.min(images, i + 4); j++) {
        batch.add(new ImageRequest("a red circle number " + j, "", List.of(), side, side, steps, 4.5, 1000 + j,
            Map.of("job_id", "bare-" + j)));
      }
      long t = System.nanoTime();
      List<RenderedImage> rendered = generator.render(batch);
      render += System.nanoTime() - t;
      for (RenderedImage image : rendered) {
        generator.encodePng(image);
      }
    }
    return new double[] {(System.nanoTime() - start) / 1e9, render / 1e9};
  }

  /** A timed run: wall seconds, and the seconds the inference thread spent rendering within them. */
  record Run(double seconds, double renderSeconds, PrometheusEndpoint metrics) {}

  /** Starts a worker on fresh topics, warms it with one batch, then times {@code images} jobs from send to the last result. */
  private Run throughWorker(ImageGenerator generator, int images, int side, int steps, int batch, int outputThreads,
      String tag) throws Exception {
    String prefix = "bench-" + tag + "-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    Topics topics = Topics.create(registry, prefix, 2, true);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(topics.generationJobs.newTopic((short) 1), topics.generationJobsDlq.newTopic((short) 1),
          topics.imagesGenerated.newTopic((short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    Map<String, String> cfg = new HashMap<>(env);
    cfg.put("INKFLOW_TOPIC_PREFIX", prefix);
    cfg.put("INKFLOW_WORKER_GROUP_ID", prefix + "workers");
    cfg.put("INKFLOW_WORKER_ID", prefix + "worker");
    cfg.put("INKFLOW_PACK_DIR", "unused");
    cfg.put("INKFLOW_WORKER_BATCH_SIZE", Integer.toString(batch));
    cfg.put("INKFLOW_WORKER_MAX_WAIT", "PT0.05S");
    cfg.put("INKFLOW_WORKER_OUTPUT_THREADS", Integer.toString(outputThreads));
    WorkerConfig config = WorkerConfig.fromEnv(cfg);
    PrometheusEndpoint metrics = PrometheusEndpoint.start(0, config.workerId());
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(GenerationWorkerMain.producerProps(config),
            new ByteArraySerializer(), new ByteArraySerializer());
         KafkaConsumer<byte[], byte[]> reader = reader(topics)) {
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(GenerationWorkerMain.consumerProps(config),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      GenerationWorker worker = new GenerationWorker(config, consumer, producer, topics, generator,
          new S3ObjectStore(s3, config.s3().bucket()), ClaimStore.none(), metrics.workerMetrics());
      awaitLeaders(producer, topics);
      Thread thread = new Thread(worker, "bench-worker");
      thread.start();
      try {
        send(producer, topics, generator, "warm", batch, side, steps);
        await(reader, batch);
        double renderBefore = renderSeconds(metrics);
        long start = System.nanoTime();
        send(producer, topics, generator, "timed", images, side, steps);
        await(reader, images);
        double wall = (System.nanoTime() - start) / 1e9;
        return new Run(wall, renderSeconds(metrics) - renderBefore, metrics);
      } finally {
        worker.shutdown();
        thread.join(TimeUnit.SECONDS.toMillis(60));
      }
    }
  }

  /** Waits until every partition of the fresh topics has a leader, so the first sends do not stall on metadata. */
  private static void awaitLeaders(KafkaProducer<byte[], byte[]> producer, Topics topics) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    for (String topic : List.of(topics.generationJobs.name(), topics.imagesGenerated.name(), topics.generationJobsDlq.name())) {
      while (producer.partitionsFor(topic).stream().anyMatch(p -> p.leader() == null)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(topic + " has partitions without a leader after 60 s");
        }
        Thread.sleep(50);
      }
    }
  }

  private static double renderSeconds(PrometheusEndpoint metrics) {
    Timer timer = metrics.registry().find("inkflow.worker.stage").tag("stage", "inference").timer();
    return timer == null ? 0 : timer.totalTime(TimeUnit.SECONDS);
  }

  private KafkaConsumer<byte[], byte[]> reader(Topics topics) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-reader-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    reader.subscribe(List.of(topics.imagesGenerated.name()));
    return reader;
  }

  private static void await(KafkaConsumer<byte[], byte[]> reader, int count) {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    int seen = 0;
    while (seen < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + seen + " of " + count + " results after 5 minutes");
      }
      seen += reader.poll(Duration.ofMillis(20)).count();
    }
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, Topics topics, ImageGenerator generator, String tag,
      int count, int side, int steps) throws Exception {
    List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
    String batchId = tag + "-" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < count; i++) {
      PromptRequest request = PromptRequest.newBuilder().setRequestId(batchId + "-" + i).setBatchId(batchId)
          .setPrompt("a red circle number " + i).setNumImages(1).setWidth(side).setHeight(side)
          .setSubmittedAt(Instant.now()).build();
      GenerationJob job = GenerationJob.newBuilder()
          .setRequest(request).setVariant(0).setNumVariants(1).setJobId(batchId + "-" + i + "-0")
          .setNormalizedPrompt(request.getPrompt()).setRewrittenPrompt(request.getPrompt())
          .setRewriteStrategy("passthrough").setRewriteVersion("1")
          .setSize(new Size(side, side)).setSteps(steps).setGuidanceScale(4.5f).setSeed(1000L + i)
          .setPackId(generator.packId()).setPackVersion(generator.packVersion()).setCreatedAt(Instant.now())
          .build();
      sent.add(producer.send(new ProducerRecord<>(topics.generationJobs.name(), job.getJobId().toString().getBytes(StandardCharsets.UTF_8),
          topics.generationJobs.valueSerde().serializer().serialize(topics.generationJobs.name(), job))));
    }
    producer.flush();
    for (java.util.concurrent.Future<?> f : sent) {
      f.get(); // a job that never arrived would stall the round until its deadline
    }
  }

  private void feed(int rounds, int images, int outputThreads, WorkerConfig.PngMode png) throws Exception {
    SyntheticGenerator generator = new SyntheticGenerator("synthetic", "1", png.encoder());
    System.out.printf(Locale.ROOT, "feed bench: synthetic 512x512 images, batch 8, %d output threads, PNG %s, %d images per round, %d rounds (+1 warm-up)%n",
        outputThreads, png, images, rounds);
    double[] rates = new double[rounds];
    for (int round = -1; round < rounds; round++) {
      Run run = throughWorker(generator, images, 512, 1, 8, outputThreads, "f" + round);
      double rate = images / run.seconds;
      String label = round < 0 ? "warm-up" : "round " + (round + 1);
      System.out.printf(Locale.ROOT, "%-8s %.1f images/s; per image: png %.1f ms, upload %.1f ms, produce %.1f ms (means over %d images incl. warm-up batch)%n",
          label, rate, mean(run.metrics, "png"), mean(run.metrics, "upload"), mean(run.metrics, "produce"),
          (long) run.metrics.registry().find("inkflow.worker.images").counter().count());
      run.metrics.close();
      if (round >= 0) {
        rates[round] = rate;
      }
    }
    System.out.printf(Locale.ROOT, "median %.1f images/s (target >= 40), RSS %d MB%n", median(rates), rssMb());
  }

  private static double mean(PrometheusEndpoint metrics, String stage) {
    Timer timer = metrics.registry().find("inkflow.worker.stage").tag("stage", stage).timer();
    return timer == null ? Double.NaN : timer.mean(TimeUnit.MILLISECONDS);
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static long rssMb() throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
      }
    }
    return -1;
  }
}
