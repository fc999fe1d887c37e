package io.inkflow.bench.scale;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.infra.demo.ServiceProcess;
import io.inkflow.infra.local.LocalStackMain;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import io.inkflow.streams.scoring.ScoringApp;
import io.inkflow.workers.generate.SimulatedAccelerator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The scale simulation ({@code scripts/bench/scale}): N generation workers, each on a {@link SimulatedAccelerator}
 * calibrated from a published GPU figure, against one broker, the PE stream and the scoring stream (a small
 * reward pack), all on this machine. Every component runs in its own JVM so that its CPU can be read from
 * {@code /proc}: the local stack (broker, registry, S3 server), the PE stream, the scoring stream, the workers
 * (all N in one JVM, each with its own clients) and this load generator.
 *
 * <p>One run per N: the workers' JVM starts, joins, and a closed loop keeps {@code --backlog-batches} batches
 * per worker of requests outstanding (submitted, no {@code RequestResult} yet). Once the first result is back
 * and {@code --warmup-seconds} more have passed, the measured window of {@code --seconds} (or of
 * {@code --window-batches} batch latencies) begins; then submission stops, the run drains (every request ends
 * with one result) and the workers' JVM stops. Per run: throughput (images scored inside the window, each counted
 * when its {@code ScoredImage} is committed, ÷ window) against the ideal N × r (r = batch ÷ latency(batch));
 * each accelerator's busy fraction (time holding a batch inside the window ÷ window); p50/p99 request latency
 * (submit → {@code RequestResult}) of the requests answered in the window; CPU per image of each component;
 * bytes written per image to each topic (growth of the broker's log segments); CPU the rest of the machine used.
 * Rounds alternate the order of N.
 */
@Command(name = "scripts/bench/scale", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Scale simulation: N workers on simulated accelerators against one broker, the PE stream and the scoring stream.")
public final class ScaleBench implements Callable<Integer> {
  /**
   * A published GPU figure the simulated accelerators are calibrated from, and the size of the PNGs they return.
   *
   * <ul>
   *   <li>{@code sd-turbo-512}: ONNX Runtime CUDA, SD-Turbo, 512x512, NVIDIA A100-SXM4-80GB, static shapes with CUDA
   *       graphs, average latency per batch (the onnxruntime/sd-turbo model card on Hugging Face, "Performance"):
   *       1 step: batch 1 38.2 ms, batch 4 120.2 ms; 4 steps: batch 1 68.7 ms, batch 4 192.6 ms. A batch of b is
   *       held for the straight line through the two points of its step count.
   *   <li>{@code sdxl-1024-30}: SDXL, 1024x1024, 30 steps, on an A100 80G SXM from fal-ai/stable-diffusion-benchmarks
   *       (README at 0490f695, "SDXL (End-to-end) Benchmarks", row "TensorRT 9.0 (cuda graphs, static shapes)":
   *       mean 4.102 s for 50 steps, 12.18 it/s, batch 1, fp16). One image is held for 30 steps at 12.18 it/s,
   *       2463.1 ms; no batch above 1 is published, so a batch of b is held b times as long (no fixed part). What
   *       most deployments serve per GPU: a full-size model at a common step count.
   * </ul>
   */
  enum Calibration {
    SD_TURBO_512("sd-turbo-512", "SD-Turbo 512x512 (ONNX Runtime CUDA, A100)", 512),
    SDXL_1024_30("sdxl-1024-30", "SDXL 1024x1024, 30 steps (TensorRT, A100, 12.18 it/s)", 1024);

    final String id;
    final String description;
    final int pixels;

    Calibration(String id, String description, int pixels) {
      this.id = id;
      this.description = description;
      this.pixels = pixels;
    }

    static Calibration of(String id) {
      for (Calibration c : values()) {
        if (c.id.equals(id)) {
          return c;
        }
      }
      throw new IllegalArgumentException("expected sd-turbo-512 or sdxl-1024-30, found '" + id + "'");
    }

    /** The latency model; {@code steps} is null for the calibration's own default. */
    SimulatedAccelerator.Latency latency(Integer steps) {
      return switch (this) {
        case SD_TURBO_512 -> switch (steps == null ? 1 : steps) {
          case 1 -> SimulatedAccelerator.Latency.through(1, Duration.ofNanos(38_200_000L), 4, Duration.ofNanos(120_200_000L));
          case 4 -> SimulatedAccelerator.Latency.through(1, Duration.ofNanos(68_700_000L), 4, Duration.ofNanos(192_600_000L));
          default -> throw new IllegalArgumentException("expected 1 or 4 steps (the published points), found " + steps);
        };
        case SDXL_1024_30 -> {
          if (steps != null && steps != 30) {
            throw new IllegalArgumentException("sdxl-1024-30 is calibrated for 30 steps, found " + steps);
          }
          yield new SimulatedAccelerator.Latency(Duration.ZERO, Duration.ofNanos(Math.round(30 / 12.18 * 1e9)));
        }
      };
    }
  }

  private static final long CLOCK_TICK_NANOS = 10_000_000L; // USER_HZ = 100 on Linux
  private static final List<String> COMPONENTS = List.of("stack", "pe", "scoring", "workers", "load");

  @Option(names = "--workers", paramLabel = "N,N,...", split = ",", defaultValue = "1,2,4,8,16",
      description = "worker counts to run (default: ${DEFAULT-VALUE})")
  private int[] workerCounts;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "rounds; each runs every N, the order alternating (default: ${DEFAULT-VALUE})")
  private int rounds;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "20", description = "measured window per run (default: ${DEFAULT-VALUE})")
  private int seconds;

  @Option(names = "--window-batches", paramLabel = "K", defaultValue = "0",
      description = "if above 0, the window is K batch latencies instead of --seconds: with batches of seconds, a window of whole"
          + " batches counts each accelerator's periodic results without an edge error (default: ${DEFAULT-VALUE})")
  private int windowBatches;

  @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "5", description = "load before the window, per run (default: ${DEFAULT-VALUE})")
  private int warmupSeconds;

  @Option(names = "--warmup-runs", paramLabel = "N", defaultValue = "1",
      description = "unreported N=1 runs before the rounds: the streams apps' JIT and first transactions (default: ${DEFAULT-VALUE})")
  private int warmupRuns;

  @Option(names = "--calibration", paramLabel = "NAME", defaultValue = "sd-turbo-512",
      description = "published GPU figure and image size: sd-turbo-512 or sdxl-1024-30 (default: ${DEFAULT-VALUE})")
  private String calibrationId;

  @Option(names = "--steps", paramLabel = "N", description = "sd-turbo-512: 1 (default) or 4 steps; sdxl-1024-30: 30 only")
  private Integer steps;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "4", description = "the workers' batch size (default: ${DEFAULT-VALUE})")
  private int batch;

  @Option(names = "--backlog-batches", paramLabel = "N", defaultValue = "4",
      description = "outstanding images per worker, in batches, that the closed loop keeps (default: ${DEFAULT-VALUE})")
  private int backlogBatches;

  @Option(names = "--images-per-request", paramLabel = "N", defaultValue = "4", description = "numImages of each request (default: ${DEFAULT-VALUE})")
  private int imagesPerRequest;

  @Option(names = "--job-partitions", paramLabel = "N", defaultValue = "16", description = "partitions of generation-jobs (default: ${DEFAULT-VALUE})")
  private int jobPartitions;

  @Option(names = "--partitions", paramLabel = "N", defaultValue = "2", description = "partitions of the other data topics (default: ${DEFAULT-VALUE})")
  private int partitions;

  @Option(names = "--pngs", paramLabel = "N", defaultValue = "16", description = "distinct pre-encoded PNGs of the calibration's size (default: ${DEFAULT-VALUE})")
  private int pngCount;

  @Option(names = "--png", paramLabel = "MODE", defaultValue = "standard",
      description = "encoder of the pre-encoded PNGs, as the worker's INKFLOW_WORKER_PNG: standard or fast (default: ${DEFAULT-VALUE})")
  private String png;

  @Option(names = "--pack", paramLabel = "DIR", defaultValue = "infra/models/tiny-mmdit-flow",
      description = "the pack the PE stream plans for; the simulated accelerators answer to its id (default: ${DEFAULT-VALUE})")
  private Path pack;

  @Option(names = "--reward-pack", paramLabel = "DIR", defaultValue = "infra/models/tiny-reward",
      description = "the scoring stream's reward pack (default: ${DEFAULT-VALUE})")
  private Path rewardPack;

  @Option(names = "--check", description = "exit non-zero unless every run's measurements are complete and consistent (the test smoke)")
  private boolean check;

  @Spec
  private CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ScaleBench()).execute(args));
  }

  /** One run's figures. */
  record Run(int n, double seconds, long scored, long images, long requests, double ideal, double[] busy, double p50Ms, double p99Ms,
      Map<String, Double> cpuMsPerImage, double othersCores, Map<String, Double> bytesPerImage, long duplicates, long unanswered) {
    /**
     * Images scored in the window ÷ window. Counted per image, not per request: a request's images are spread over
     * several accelerators' batches, so its result waits for the last of them, and with a backlog of several
     * requests per accelerator results arrive in bursts a backlog apart, which a window of a few batches counts
     * as all or nothing.
     */
    double throughput() {
      return scored / seconds;
    }

    double ratio() {
      return throughput() / ideal;
    }

    double minBusy() {
      return Arrays.stream(busy).min().orElse(0);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (rounds < 1 || seconds < 1 || windowBatches < 0 || warmupSeconds < 0 || warmupRuns < 0 || batch < 1 || backlogBatches < 1 || imagesPerRequest < 1 || pngCount < 1
        || Arrays.stream(workerCounts).anyMatch(n -> n < 1 || n > jobPartitions)) {
      throw new ParameterException(spec.commandLine(), "expected --rounds, --seconds, --batch, --backlog-batches, --images-per-request,"
          + " --pngs >= 1, --warmup-seconds and --warmup-runs >= 0 and every --workers count from 1 to --job-partitions (" + jobPartitions + ")");
    }
    PngEncoder encoder = switch (png.toLowerCase(Locale.ROOT)) {
      case "standard" -> PngEncoder.standard();
      case "fast" -> PngEncoder.fast();
      default -> throw new ParameterException(spec.commandLine(), "--png: expected standard or fast, found '" + png + "'");
    };
    // A run stopped by a signal (SIGTERM, Ctrl-C) skips the finally blocks that stop the services' JVMs: stop them
    // here, so none outlives the benchmark. After a normal end they are gone already and this does nothing.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroy),
        "scale-stop-services"));
    Calibration calibration;
    SimulatedAccelerator.Latency latency;
    try {
      calibration = Calibration.of(calibrationId);
      latency = calibration.latency(steps);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--calibration/--steps: " + e.getMessage());
    }
    double r = batch / (latency.of(batch).toNanos() / 1e9);
    long windowMillis = windowBatches > 0 ? windowBatches * latency.of(batch).toMillis() : TimeUnit.SECONDS.toMillis(seconds);
    Path dir = Files.createTempDirectory("inkflow-scale-");
    List<ServiceProcess> services = new ArrayList<>();
    try {
      Path pngDir = Files.createDirectories(dir.resolve("pngs"));
      long pngBytes = encodePngs(pngDir, encoder, calibration.pixels);
      System.out.printf(Locale.ROOT, "scale bench: %s%s, published; batch %d held %.1f ms (%.2f + %d × %.2f ms):"
              + " r = %.3f images/s per accelerator; %d pre-encoded %dx%d PNGs (%s), mean %.0f KB; %d images per request;"
              + " generation-jobs %d partitions, other topics %d; window %.1f s after the first result and %d s of load; %d round(s) of N = %s%n",
          calibration.description, steps == null ? "" : ", " + steps + " step(s)", batch, latency.of(batch).toNanos() / 1e6,
          latency.fixed().toNanos() / 1e6, batch, latency.perImage().toNanos() / 1e6, r,
          pngCount, calibration.pixels, calibration.pixels, png, pngBytes / 1024.0 / pngCount, imagesPerRequest, jobPartitions, partitions,
          windowMillis / 1e3, warmupSeconds, rounds,
          Arrays.toString(workerCounts));

      Map<String, String> env = startStack(dir, services);
      String packId = manifestField(pack, "id");
      String packVersion = manifestField(pack, "version");
      Map<String, String> pe = new HashMap<>(env);
      pe.put("INKFLOW_PACK_DIR", pack.toAbsolutePath().toString());
      pe.put("INKFLOW_STATE_DIR", dir.resolve("state-pe").toString());
      services.add(ServiceProcess.start("pe", PromptRewriteApp.class, pe, dir.resolve("pe.log"), "384m"));
      Map<String, String> scoring = new HashMap<>(env);
      scoring.put("INKFLOW_REWARD_PACK_DIR", rewardPack.toAbsolutePath().toString());
      scoring.put("INKFLOW_STATE_DIR", dir.resolve("state-scoring").toString());
      services.add(ServiceProcess.start("scoring", ScoringApp.class, scoring, dir.resolve("scoring.log"), "768m"));
      Map<String, String> workers = new HashMap<>(env);
      workers.put("INKFLOW_PACK_DIR", pack.toAbsolutePath().toString());
      workers.put("INKFLOW_WORKER_BATCH_SIZE", Integer.toString(batch));
      workers.put("INKFLOW_WORKER_GROUP_ID", "scale-workers");

      List<Run> runs = new ArrayList<>();
      try (Load load = new Load(env, imagesPerRequest)) {
        // One unreported warm-up run: the streams apps' JIT, their first transactions, the topics' first segments.
        for (int i = 0; i < warmupRuns; i++) {
          runOnce(load, dir, services, workers, 1, latency, r, packId, packVersion, pngDir, "warm-up", Math.max(warmupSeconds, 5), 5_000);
        }
        for (int round = 0; round < rounds; round++) {
          int[] order = workerCounts.clone();
          if (round % 2 == 1) {
            for (int i = 0; i < order.length / 2; i++) {
              int t = order[i];
              order[i] = order[order.length - 1 - i];
              order[order.length - 1 - i] = t;
            }
          }
          for (int n : order) {
            Run run = runOnce(load, dir, services, workers, n, latency, r, packId, packVersion, pngDir, "round " + (round + 1),
                warmupSeconds, windowMillis);
            runs.add(run);
          }
        }
      }
      report(runs, r);
      if (check) {
        List<String> problems = check(runs);
        problems.forEach(p -> System.out.println("check failed: " + p));
        System.out.println(problems.isEmpty() ? "check passed: " + runs.size() + " run(s)" : "check FAILED");
        return problems.isEmpty() ? 0 : 1;
      }
      return 0;
    } finally {
      for (int i = services.size() - 1; i >= 0; i--) {
        services.get(i).close();
      }
      deleteTree(dir);
    }
  }

  /** Encodes the PNGs the accelerators return, reports the encoding cost per image (CPU of one thread); total bytes. */
  private long encodePngs(Path pngDir, PngEncoder encoder, int pixels) throws IOException {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long bytes = 0;
    Map<String, long[]> cost = new LinkedHashMap<>();
    for (String mode : List.of("standard", "fast")) {
      PngEncoder e = mode.equals("standard") ? PngEncoder.standard() : PngEncoder.fast();
      long cpu = 0;
      long size = 0;
      for (int i = 0; i < pngCount; i++) {
        RgbImage image = SimulatedAccelerator.content(pixels, pixels, 7919L * (i + 1));
        long t = mx.getCurrentThreadCpuTime();
        byte[] encoded = e.encode(image, Map.of("job_id", "scale-" + i));
        cpu += mx.getCurrentThreadCpuTime() - t;
        size += encoded.length;
        if (e.getClass() == encoder.getClass() && mode.equals(png.toLowerCase(Locale.ROOT))) {
          Files.write(pngDir.resolve(String.format(Locale.ROOT, "%03d.png", i)), encoded);
          bytes += encoded.length;
        }
      }
      cost.put(mode, new long[] {cpu, size});
    }
    cost.forEach((mode, c) -> System.out.printf(Locale.ROOT,
        "PNG encoding (%s), measured apart: %.1f ms CPU per %dx%d image, %.0f KB per image (mean of %d)%n",
        mode, c[0] / 1e6 / pngCount, pixels, pixels, c[1] / 1024.0 / pngCount, pngCount));
    return bytes;
  }

  private Map<String, String> startStack(Path dir, List<ServiceProcess> services) throws Exception {
    Map<String, String> stackEnv = new HashMap<>();
    stackEnv.put("INKFLOW_KAFKA_PORT", "0");
    stackEnv.put("INKFLOW_CONTROLLER_PORT", "0");
    stackEnv.put("INKFLOW_REGISTRY_PORT", "0");
    stackEnv.put("INKFLOW_S3_PORT", "0");
    stackEnv.put("INKFLOW_S3_STORAGE", "filesystem");
    stackEnv.put("INKFLOW_LOCAL_DATA_DIR", dir.resolve("data").toString());
    stackEnv.put(TopicSettings.PARTITIONS, Integer.toString(partitions));
    stackEnv.put(TopicSettings.partitionsVariable("generation-jobs"), Integer.toString(jobPartitions));
    Path log = dir.resolve("stack.log");
    services.add(ServiceProcess.start("stack", LocalStackMain.class, stackEnv, log, List.of("-Xms256m", "-Xmx1g", "-XX:+UseSerialGC"), false));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (true) {
      List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
      if (lines.stream().anyMatch(l -> l.startsWith("export AWS_SECRET_ACCESS_KEY="))) {
        Map<String, String> env = new HashMap<>();
        for (String l : lines) {
          if (l.startsWith("export ")) {
            int eq = l.indexOf('=');
            env.put(l.substring(7, eq), unquote(l.substring(eq + 1)));
          }
        }
        // Explicit keys for every client: this JVM's own S3 client does not see the map as its environment.
        env.put("INKFLOW_S3_ACCESS_KEY", env.get("AWS_ACCESS_KEY_ID"));
        env.put("INKFLOW_S3_SECRET_KEY", env.get("AWS_SECRET_ACCESS_KEY"));
        return env;
      }
      if (!services.get(services.size() - 1).alive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("the local stack did not start; its log: " + log + "\n" + String.join("\n", lines));
      }
      Thread.sleep(100); // polls the stack's log (observable state) with a deadline
    }
  }

  private static String unquote(String v) {
    if (v.length() >= 2 && v.startsWith("'") && v.endsWith("'")) {
      return v.substring(1, v.length() - 1).replace("'\\''", "'");
    }
    return v;
  }

  private static String manifestField(Path pack, String field) throws IOException {
    var node = new ObjectMapper().readTree(pack.resolve("pack.json").toFile()).get(field);
    if (node == null) {
      throw new IllegalArgumentException(pack + "/pack.json: expected a '" + field + "' field, found none");
    }
    return node.asText();
  }

  private Run runOnce(Load load, Path dir, List<ServiceProcess> services, Map<String, String> workerEnv, int n,
      SimulatedAccelerator.Latency latency, double r, String packId, String packVersion, Path pngDir, String label,
      int warmup, long windowMillis) throws Exception {
    Path busyFile = dir.resolve("busy-" + n + "-" + System.nanoTime() + ".txt");
    Path log = dir.resolve("workers.log");
    ServiceProcess workers = ServiceProcess.start("workers", ScaleWorkers.class, workerEnv, log, List.of(
        "-Xms256m", "-Xmx1g", "-XX:+UseSerialGC",
        "-D" + ScaleWorkers.WORKERS + "=" + n,
        "-D" + ScaleWorkers.FIXED_NANOS + "=" + latency.fixed().toNanos(),
        "-D" + ScaleWorkers.PER_IMAGE_NANOS + "=" + latency.perImage().toNanos(),
        "-D" + ScaleWorkers.PNG_DIR + "=" + pngDir,
        "-D" + ScaleWorkers.BUSY_FILE + "=" + busyFile,
        "-D" + ScaleWorkers.PACK_ID + "=" + packId,
        "-D" + ScaleWorkers.PACK_VERSION + "=" + packVersion), true);
    try {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (!Files.readString(log).contains(ScaleWorkers.READY + ": " + n)) {
        if (!workers.alive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the workers' JVM did not become ready; its log: " + log);
        }
        Thread.sleep(50); // polls the workers' log (observable state) with a deadline
      }
      for (ServiceProcess s : services) {
        if (!s.alive()) {
          throw new IllegalStateException("the " + s.name() + " service stopped; its log: " + s.log());
        }
      }
      String tag = "s" + Long.toString(System.nanoTime(), 36) + "-n" + n;
      int outstanding = Math.max(1, (n * batch * backlogBatches + imagesPerRequest - 1) / imagesPerRequest);
      load.start(tag, outstanding);
      load.awaitFirstResult(Duration.ofMinutes(2));
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmup)); // the load runs for the warm-up: this is the run's clock, not a synchronisation
      Map<String, Long> cpu0 = cpu(services, workers);
      long[] machine0 = machineTicks();
      Map<String, Long> logs0 = logBytes(dir.resolve("data"));
      long windowStart = epochNanos();
      load.window(windowStart);
      Thread.sleep(windowMillis); // the measured window's length
      long windowEnd = epochNanos();
      Load.Window measured = load.closeWindow(windowEnd);
      Map<String, Long> cpu1 = cpu(services, workers);
      long[] machine1 = machineTicks();
      Map<String, Long> logs1 = logBytes(dir.resolve("data"));
      Load.Drained drained = load.stopAndDrain(Duration.ofMinutes(3));
      workers.close();
      double windowSeconds = (windowEnd - windowStart) / 1e9;
      double[] busy = busy(Files.readAllLines(busyFile), n, windowStart, windowEnd);
      long images = Math.max(1, measured.scored());
      Map<String, Double> cpuMs = new LinkedHashMap<>();
      long ours = 0;
      for (String c : COMPONENTS) {
        long d = cpu1.get(c) - cpu0.get(c);
        ours += d;
        cpuMs.put(c, d / 1e6 / images);
      }
      double machineBusyNanos = (machine1[0] - machine0[0]) * (double) CLOCK_TICK_NANOS;
      double others = Math.max(0, machineBusyNanos - ours) / 1e9 / windowSeconds;
      Map<String, Double> bytes = new TreeMap<>();
      for (var e : logs1.entrySet()) {
        long d = e.getValue() - logs0.getOrDefault(e.getKey(), 0L);
        if (d > 0) {
          bytes.put(e.getKey(), (double) d / images);
        }
      }
      double[] lat = measured.latenciesMs();
      Run run = new Run(n, windowSeconds, measured.scored(), measured.images(), measured.requests(), n * r, busy, percentile(lat, 0.5), percentile(lat, 0.99),
          cpuMs, others, bytes, drained.duplicates(), drained.unanswered());
      System.out.printf(Locale.ROOT, "%-8s N=%-2d %7.1f img/s = %.3f × ideal %.1f; busy min %.3f median %.3f; latency p50 %.0f ms p99 %.0f ms;"
              + " CPU ms/img stack %.2f pe %.2f scoring %.2f workers %.2f load %.2f; others %.2f cores; %d images scored, %d requests"
              + " answered (%d images); drained with %d duplicate and %d missing results%n",
          label, n, run.throughput(), run.ratio(), run.ideal(), run.minBusy(), median(busy), run.p50Ms(), run.p99Ms(),
          cpuMs.get("stack"), cpuMs.get("pe"), cpuMs.get("scoring"), cpuMs.get("workers"), cpuMs.get("load"), others, measured.scored(),
          measured.requests(), measured.images(), drained.duplicates(), drained.unanswered());
      load.cleanUp(tag);
      return run;
    } finally {
      workers.kill();
    }
  }

  /** Each accelerator's time holding a batch inside [from, to) ÷ (to − from). */
  static double[] busy(List<String> lines, int n, long from, long to) {
    double[] held = new double[n];
    for (String line : lines) {
      String[] f = line.trim().split(" ");
      if (f.length < 3) {
        continue;
      }
      int w = Integer.parseInt(f[0]);
      long a = Math.max(from, Long.parseLong(f[1]));
      long b = Math.min(to, Long.parseLong(f[2]));
      if (b > a) {
        held[w] += b - a;
      }
    }
    for (int i = 0; i < n; i++) {
      held[i] /= (to - from);
    }
    return held;
  }

  /** CPU nanoseconds so far of each component's process (this JVM for the load generator). */
  private static Map<String, Long> cpu(List<ServiceProcess> services, ServiceProcess workers) throws IOException {
    Map<String, Long> out = new HashMap<>();
    for (ServiceProcess s : services) {
      out.put(s.name(), processCpuNanos(s.pid()));
    }
    out.put("workers", processCpuNanos(workers.pid()));
    out.put("load", processCpuNanos(ProcessHandle.current().pid()));
    return out;
  }

  /** utime + stime of a process, from /proc/PID/stat. */
  static long processCpuNanos(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    // after the command: state(0) ppid(1) ... utime(11) stime(12)
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * CLOCK_TICK_NANOS;
  }

  /** The whole machine's busy and total clock ticks, from /proc/stat. */
  private static long[] machineTicks() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length && i <= 8; i++) {
      total += Long.parseLong(f[i]);
    }
    long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
    return new long[] {total - idle, total};
  }

  /** Bytes in the broker's log segments, by topic ({@code <data>/kafka/<topic>-<partition>/*.log}). */
  static Map<String, Long> logBytes(Path dataDir) throws IOException {
    Map<String, Long> out = new HashMap<>();
    Path logDir = dataDir.resolve("kafka");
    if (!Files.isDirectory(logDir)) {
      return out;
    }
    List<Path> partitionDirs;
    try (Stream<Path> dirs = Files.list(logDir)) {
      partitionDirs = dirs.filter(d -> d.getFileName().toString().matches(".+-\\d+") && Files.isDirectory(d)).toList();
    }
    for (Path d : partitionDirs) {
      String topic = d.getFileName().toString().replaceFirst("-\\d+$", "");
      try (Stream<Path> segments = Files.list(d)) {
        for (Path p : segments.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
          out.merge(topic, Files.size(p), Long::sum);
        }
      } catch (IOException | UncheckedIOException e) {
        // a partition or segment removed while listing (a deleted topic, a rolled segment): it no longer counts
      }
    }
    return out;
  }

  static double percentile(double[] values, double q) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    int rank = (int) Math.ceil(q * v.length) - 1; // nearest-rank percentile
    return v[Math.max(0, Math.min(v.length - 1, rank))];
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  private void report(List<Run> runs, double r) {
    System.out.println();
    System.out.printf(Locale.ROOT, "r = %.2f images/s per accelerator; medians over rounds (range)%n", r);
    System.out.println("| N | images/s | ideal N×r | ÷ ideal | busy, lowest accelerator | busy, median accelerator | p50 ms | p99 ms |"
        + " CPU ms/image: stack | pe | scoring | workers | load | others (cores) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (int n : Arrays.stream(workerCounts).distinct().sorted().toArray()) {
      List<Run> of = runs.stream().filter(x -> x.n() == n).toList();
      System.out.printf(Locale.ROOT, "| %d | %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", n,
          spread(of, Run::throughput, "%.1f"), n * r, spread(of, Run::ratio, "%.3f"), spread(of, Run::minBusy, "%.3f"),
          spread(of, x -> median(x.busy()), "%.3f"), spread(of, Run::p50Ms, "%.0f"), spread(of, Run::p99Ms, "%.0f"),
          spread(of, x -> x.cpuMsPerImage().get("stack"), "%.2f"), spread(of, x -> x.cpuMsPerImage().get("pe"), "%.2f"),
          spread(of, x -> x.cpuMsPerImage().get("scoring"), "%.2f"), spread(of, x -> x.cpuMsPerImage().get("workers"), "%.2f"),
          spread(of, x -> x.cpuMsPerImage().get("load"), "%.2f"), spread(of, Run::othersCores, "%.2f"));
    }
    System.out.println();
    System.out.println("bytes appended to the broker's logs per image, by topic (median over all runs):");
    Map<String, List<Double>> byTopic = new TreeMap<>();
    for (Run run : runs) {
      run.bytesPerImage().forEach((t, b) -> byTopic.computeIfAbsent(t, k -> new ArrayList<>()).add(b));
    }
    double total = 0;
    for (var e : byTopic.entrySet()) {
      double m = median(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
      total += m;
      System.out.printf(Locale.ROOT, "  %-70s %10.0f%n", e.getKey(), m);
    }
    System.out.printf(Locale.ROOT, "  %-70s %10.0f%n", "all topics", total);
  }

  private static String spread(List<Run> runs, ToDoubleFunction<Run> f, String format) {
    double[] v = runs.stream().mapToDouble(f).toArray();
    if (v.length == 1) {
      return String.format(Locale.ROOT, format, v[0]);
    }
    double lo = Arrays.stream(v).min().orElse(Double.NaN);
    double hi = Arrays.stream(v).max().orElse(Double.NaN);
    return String.format(Locale.ROOT, format + " (" + format + "–" + format + ")", median(v), lo, hi);
  }

  /** What must hold of every run for the measurement to mean anything; each broken rule is one line. */
  private List<String> check(List<Run> runs) {
    List<String> problems = new ArrayList<>();
    for (Run run : runs) {
      String at = "N=" + run.n() + ": ";
      if (run.scored() <= 0 || run.images() <= 0 || run.requests() <= 0) {
        problems.add(at + "no image scored or no request answered in the window");
      }
      if (run.images() != run.requests() * imagesPerRequest) {
        problems.add(at + run.images() + " images in " + run.requests() + " results, expected " + imagesPerRequest + " each");
      }
      if (run.duplicates() != 0 || run.unanswered() != 0) {
        problems.add(at + run.duplicates() + " duplicate and " + run.unanswered() + " missing results after the drain");
      }
      if (run.busy().length != run.n()) {
        problems.add(at + "busy fractions for " + run.busy().length + " accelerators");
      }
      for (double b : run.busy()) {
        if (!(b > 0 && b <= 1.0 + 1e-6)) {
          problems.add(at + "an accelerator's busy fraction is " + b + ", expected in (0, 1]");
        }
      }
      // An accelerator holds each batch for its latency: the pipeline cannot beat N × r by more than a window edge.
      if (run.throughput() > run.ideal() * 1.1) {
        problems.add(at + String.format(Locale.ROOT, "%.1f images/s, above the ideal %.1f", run.throughput(), run.ideal()));
      }
      if (!(run.p50Ms() > 0 && run.p50Ms() <= run.p99Ms())) {
        problems.add(at + "latency p50 " + run.p50Ms() + " ms, p99 " + run.p99Ms() + " ms");
      }
      for (String c : List.of("stack", "pe", "scoring", "workers")) {
        if (!(run.cpuMsPerImage().get(c) > 0)) {
          problems.add(at + c + " used no CPU in the window");
        }
      }
      for (String topic : List.of("generation-jobs", "images-generated", "images-scored", "request-results")) {
        if (!(run.bytesPerImage().getOrDefault(topic, 0.0) > 0)) {
          problems.add(at + "nothing appended to " + topic + " in the window");
        }
      }
    }
    return problems;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not remove " + dir + ": " + e);
    }
  }

  /**
   * The load generator: a closed loop that keeps a number of requests outstanding, and a reader of
   * {@code request-results} (each request's latency) and {@code images-scored} (each image's completion), both
   * read committed. Requests are stand-alone (no batch).
   */
  static final class Load implements AutoCloseable {
    record Window(long scored, long images, long requests, double[] latenciesMs) {}

    record Drained(long duplicates, long unanswered) {}

    private final Topics topics;
    private final RestSchemaRegistryClient registry;
    private final KafkaProducer<byte[], byte[]> producer;
    private final S3Client s3;
    private final String bucket;
    private final String bootstrap;
    private final int imagesPerRequest;
    private final Map<String, Long> submitted = new ConcurrentHashMap<>();
    private final Map<String, Integer> answers = new ConcurrentHashMap<>();
    private final List<double[]> inWindow = new ArrayList<>();
    private final Set<String> scoredJobs = ConcurrentHashMap.newKeySet();
    private final AtomicLong scoredInWindow = new AtomicLong();
    private volatile long windowFrom = Long.MAX_VALUE;
    private volatile long windowTo = Long.MAX_VALUE;
    private volatile Semaphore permits;
    private final AtomicBoolean submitting = new AtomicBoolean();
    private final AtomicBoolean reading = new AtomicBoolean();
    private final AtomicLong sequence = new AtomicLong();
    private Thread submitter;
    private Thread reader;

    Load(Map<String, String> env, int imagesPerRequest) {
      this.bootstrap = env.get("INKFLOW_BOOTSTRAP_SERVERS");
      this.registry = new RestSchemaRegistryClient(RegistryClientConfig.of(env.get("INKFLOW_REGISTRY_URL")));
      this.topics = Topics.create(registry, env.getOrDefault("INKFLOW_TOPIC_PREFIX", ""), TopicSettings.fromEnv(env), true);
      Map<String, Object> p = new HashMap<>();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.LINGER_MS_CONFIG, 1);
      this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
      S3Settings s3Settings = S3Settings.fromEnv(env);
      this.s3 = S3Clients.create(s3Settings);
      this.bucket = s3Settings.bucket();
      this.imagesPerRequest = imagesPerRequest;
    }

    /** Starts reading results from now on and submitting requests, {@code outstanding} at a time. */
    void start(String tag, int outstanding) throws InterruptedException {
      submitted.clear();
      answers.clear();
      scoredJobs.clear();
      scoredInWindow.set(0);
      synchronized (inWindow) {
        inWindow.clear();
      }
      windowFrom = Long.MAX_VALUE;
      windowTo = Long.MAX_VALUE;
      permits = new Semaphore(outstanding);
      KafkaConsumer<byte[], byte[]> consumer = results();
      reading.set(true);
      reader = new Thread(() -> read(consumer), "scale-results");
      reader.start();
      submitting.set(true);
      submitter = new Thread(() -> submit(tag), "scale-submit");
      submitter.start();
    }

    private KafkaConsumer<byte[], byte[]> results() {
      Map<String, Object> c = new HashMap<>();
      c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> parts = Stream.of(topics.requestResults.name(), topics.imagesScored.name())
          .flatMap(t -> consumer.partitionsFor(t).stream()).map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      parts.forEach(consumer::position); // fixes the start before anything is submitted
      return consumer;
    }

    private void submit(String tag) {
      var serde = topics.promptRequests.valueSerde().serializer();
      try {
        while (submitting.get()) {
          if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
            continue;
          }
          long i = sequence.incrementAndGet();
          String id = tag + "-" + i;
          PromptRequest request = PromptRequest.newBuilder().setRequestId(id)
              .setPrompt(PROMPTS[(int) (i % PROMPTS.length)] + " " + i).setNumImages(imagesPerRequest)
              .setWidth(512).setHeight(512).setSubmittedAt(Instant.now()).build();
          submitted.put(id, System.nanoTime());
          producer.send(new ProducerRecord<>(topics.promptRequests.name(), id.getBytes(StandardCharsets.UTF_8),
              serde.serialize(topics.promptRequests.name(), request)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void read(KafkaConsumer<byte[], byte[]> consumer) {
      var serde = topics.requestResults.valueSerde().deserializer();
      var scoredSerde = topics.imagesScored.valueSerde().deserializer();
      try (consumer) {
        while (reading.get()) {
          for (ConsumerRecord<byte[], byte[]> rec : consumer.poll(Duration.ofMillis(50))) {
            long now = System.nanoTime();
            long epoch = epochNanos();
            if (rec.topic().equals(topics.imagesScored.name())) {
              GenerationJob job = scoredSerde.deserialize(rec.topic(), rec.value()).getImage().getJob();
              boolean ours = submitted.containsKey(job.getRequest().getRequestId().toString());
              if (ours && scoredJobs.add(job.getJobId().toString()) && epoch >= windowFrom && epoch < windowTo) {
                scoredInWindow.incrementAndGet();
              }
              continue;
            }
            RequestResult result = serde.deserialize(rec.topic(), rec.value());
            String id = result.getRequestId().toString();
            Long at = submitted.get(id);
            if (at == null) {
              continue; // another run's
            }
            if (answers.merge(id, 1, Integer::sum) > 1) {
              continue;
            }
            if (epoch >= windowFrom && epoch < windowTo) {
              synchronized (inWindow) {
                inWindow.add(new double[] {(now - at) / 1e6, result.getVariants().size()});
              }
            }
            permits.release();
          }
        }
      }
    }

    /** Waits until the first result of this run arrives: the pipeline is flowing end to end. */
    void awaitFirstResult(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (answers.isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no result within " + timeout + " of the first request");
        }
        Thread.sleep(20); // polls the results read so far (observable state) with a deadline
      }
    }

    void window(long from) {
      windowFrom = from;
    }

    Window closeWindow(long to) {
      windowTo = to;
      synchronized (inWindow) {
        long images = 0;
        double[] lat = new double[inWindow.size()];
        for (int i = 0; i < lat.length; i++) {
          lat[i] = inWindow.get(i)[0];
          images += (long) inWindow.get(i)[1];
        }
        return new Window(scoredInWindow.get(), images, lat.length, lat);
      }
    }

    /** Stops submitting and waits until every submitted request has its result (or the deadline passed). */
    Drained stopAndDrain(Duration timeout) throws InterruptedException {
      submitting.set(false);
      submitter.join();
      producer.flush();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (answers.size() < submitted.size() && System.nanoTime() < deadline) {
        Thread.sleep(50); // polls the results read so far (observable state) with a deadline
      }
      // Duplicates: read on briefly after the last one; a second result would arrive with the first ones' commits.
      long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
      while (System.nanoTime() < settle) {
        Thread.sleep(50); // a bounded look for late duplicates, not a synchronisation
      }
      reading.set(false);
      reader.join();
      long duplicates = answers.values().stream().mapToLong(c -> c - 1).sum();
      return new Drained(duplicates, submitted.size() - answers.size());
    }

    /** Removes the run's images from the S3 server, so the disk holds one run at a time. */
    void cleanUp(String tag) {
      String prefix = "images/" + ObjectKeys.STANDALONE + "/" + tag;
      List<ObjectIdentifier> keys = new ArrayList<>();
      for (S3Object o : s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents()) {
        keys.add(ObjectIdentifier.builder().key(o.key()).build());
      }
      for (int i = 0; i < keys.size(); i += 1000) {
        List<ObjectIdentifier> part = keys.subList(i, Math.min(keys.size(), i + 1000));
        s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(part)));
      }
    }

    @Override
    public void close() {
      producer.close(Duration.ofSeconds(10));
      s3.close();
      registry.close();
    }

    private static final String[] PROMPTS = {
        "a red circle on the left of a blue background", "蓝色背景，左边是黄色圆环，右边是红色方形",
        "a black triangle in the middle, on a white background", "a green square above a yellow circle",
        "白色背景，中间是黑色三角形", "two orange circles on a purple background"};
  }
}
