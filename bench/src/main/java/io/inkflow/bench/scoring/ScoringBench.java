package io.inkflow.bench.scoring;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.Language;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.avro.StageTimings;
import io.inkflow.bench.ThreadCpu;
import io.inkflow.bench.ocr.Posters;
import io.inkflow.bench.ocr.TextFonts;
import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.PngHeader;
import io.inkflow.inference.image.PngInfo;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.ObjectStore;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.scoring.ImageScorer;
import io.inkflow.streams.scoring.RewardPolicy;
import io.inkflow.streams.scoring.ScoringSettings;
import io.inkflow.streams.scoring.ScoringTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * Benchmark (not a test), run by {@code scripts/bench/scoring} against a running stack (broker,
 * registry, S3 from the environment, as {@code scripts/local-up} prints them): images scored per
 * second through the scoring topology under exactly-once, from producing N GeneratedImage events to
 * reading the N-th ScoredImage (read_committed), divided by the rate of a bare loop over the same
 * images in the same run (S3 GET, PNG header check and decode, reward pack in batches of the same
 * size, nothing else). Rounds alternate which side goes first; round 0 warms both and is not reported.
 */
@Command(name = "scripts/bench/scoring", mixinStandardHelpOptions = true, sortOptions = false,
    description = "The reward-scoring stream against a bare loop over the same images, on a running local stack.")
public final class ScoringBench implements Callable<Integer> {
  @Option(names = "--images", paramLabel = "N", defaultValue = "384",
      description = "images per round, stored in S3 once (default: ${DEFAULT-VALUE})")
  private int images;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
      description = "reported rounds, after one unreported warm-up round; sides alternate (default: ${DEFAULT-VALUE})")
  private int rounds;

  @Option(names = "--batch", paramLabel = "N", defaultValue = "16",
      description = "images per reward-pack call, on both sides (default: ${DEFAULT-VALUE})")
  private int batch;

  @Option(names = "--side", paramLabel = "PX", defaultValue = "256",
      description = "width and height of the images (default: ${DEFAULT-VALUE})")
  private int side;

  @Option(names = "--pack", paramLabel = "DIR", defaultValue = "infra/models/tiny-reward",
      description = "the reward pack (default: ${DEFAULT-VALUE})")
  private Path pack;

  @Option(names = "--commit-interval-ms", paramLabel = "MS", defaultValue = "100",
      description = "commit interval of the scoring app under test; production's default is 100 (default: ${DEFAULT-VALUE})")
  private int commitIntervalMs;

  @Option(names = "--text",
      description = "draw the glyph texts on the images (Posters: two lines, Chinese and Latin), so a text head that reads"
          + " images (PP-OCR) has text to read; without it the images are noise and the glyph text is 春")
  private boolean text;

  @Option(names = "--thread-cpu",
      description = "also print, per phase, the six threads of this JVM that used the most CPU")
  private boolean threadCpu;

  @Spec
  private CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ScoringBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (images < 1 || rounds < 1 || batch < 1 || side < 1 || commitIntervalMs < 1) {
      throw new ParameterException(spec.commandLine(), "expected --images, --rounds, --batch, --side and --commit-interval-ms"
          + " >= 1, found " + images + ", " + rounds + ", " + batch + ", " + side + ", " + commitIntervalMs);
    }
    printThreadCpu = threadCpu;
    if (text) {
      posters = new Posters(TextFonts.load());
      glyphTexts = Posters.TEXTS;
    }
    run(images, rounds, batch, side, pack, commitIntervalMs);
    return 0;
  }

  private static void run(int n, int rounds, int batch, int side, Path pack, int commitIntervalMs) throws Exception {
    Map<String, String> env = System.getenv();
    StreamsSettings streams = StreamsSettings.fromEnv(env);
    S3Settings s3Settings = S3Settings.fromEnv(env);
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (RewardModel model = RewardModel.open(pack, SessionOptionsConfig.cpu());
         S3Client s3 = S3Clients.create(s3Settings);
         RestSchemaRegistryClient registry = new RestSchemaRegistryClient(streams.registry())) {
      System.out.printf("scoring bench: %d images of %dx%d (%s PNG, %d KiB each), micro-batches of %d, reward pack %s on %s, "
          + "exactly_once_v2, 1 partition, 1 stream thread, %d round(s)%n", n, side, side, posters != null ? "poster" : "noise", png(side, 0).length / 1024, batch,
          model.manifest().id(), model.executionProvider(), rounds);
      List<String> uris = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String key = "bench/" + run + "/" + i + ".png";
        s3.putObject(PutObjectRequest.builder().bucket(s3Settings.bucket()).key(key).build(), RequestBody.fromBytes(png(side, i)));
        uris.add(ObjectKeys.uri(s3Settings.bucket(), key));
      }
      ObjectStore store = new S3ObjectStore(s3, s3Settings.bucket());
      ScoringSettings settings = ScoringSettings.defaults().withBatchSize(batch).withRequestTimeout(Duration.ofHours(1));
      RewardPolicy policy = RewardPolicy.of(model.manifest());
      List<double[]> results = new ArrayList<>();
      try (StreamHarness harness = new StreamHarness(streams, registry, model, store, settings, policy, uris, run, commitIntervalMs)) {
      for (int round = 0; round <= rounds; round++) {
        double bare;
        double stream;
        double[] bareCpu;
        double[] streamCpu;
        if (round % 2 == 0) {
          bare = bareLoop(model, store, settings, uris);
          bareCpu = lastCpu;
          stream = harness.round(uris, "round" + round);
          streamCpu = lastCpu;
        } else {
          stream = harness.round(uris, "round" + round);
          streamCpu = lastCpu;
          bare = bareLoop(model, store, settings, uris);
          bareCpu = lastCpu;
        }
        System.out.printf("  cores used (bench JVM / stack / others): bare %.2f / %.2f / %.2f, stream %.2f / %.2f / %.2f%n",
            bareCpu[0], bareCpu[1], bareCpu[2], streamCpu[0], streamCpu[1], streamCpu[2]);
        if (round == 0) {
          System.out.printf("warm-up: bare %.1f images/s, stream %.1f images/s (not reported)%n", bare, stream);
          continue;
        }
        results.add(new double[] {bare, stream});
        System.out.printf("round %d (%s first): bare loop %.1f images/s, stream %.1f images/s, ratio %.3f%n",
            round, round % 2 == 0 ? "bare" : "stream", bare, stream, stream / bare);
      }
      }
      double[] ratios = results.stream().mapToDouble(r -> r[1] / r[0]).sorted().toArray();
      double[] bares = results.stream().mapToDouble(r -> r[0]).sorted().toArray();
      double[] streamsRates = results.stream().mapToDouble(r -> r[1]).sorted().toArray();
      System.out.printf("median: bare loop %.1f images/s, stream %.1f images/s, ratio %.3f (target >= 0.9)%n",
          bares[bares.length / 2], streamsRates[streamsRates.length / 2], ratios[ratios.length / 2]);
    }
  }

  /** CPU seconds used so far by this JVM, by the stack's process (when its pid is given) and by the whole machine. */
  record Cpu(double self, double stack, double machine) {
    static Cpu now() {
      return new Cpu(ticks("/proc/self/stat"), STACK_PID == null ? 0 : ticks("/proc/" + STACK_PID + "/stat"), machineTicks());
    }

    /** This phase's use: [bench JVM, stack, everything else] in cores (CPU seconds per wall second). */
    double[] since(Cpu start, double seconds) {
      double me = self - start.self;
      double st = stack - start.stack;
      return new double[] {me / seconds, st / seconds, Math.max(0, (machine - start.machine) - me - st) / seconds};
    }

    private static double ticks(String statFile) {
      try {
        String stat = Files.readString(Path.of(statFile));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
      } catch (java.io.IOException | RuntimeException e) {
        return 0;
      }
    }

    private static double machineTicks() {
      try {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < f.length; i++) {
          if (i != 4 && i != 5) { // idle, iowait
            busy += Long.parseLong(f[i]);
          }
        }
        return busy / 100.0;
      } catch (java.io.IOException | RuntimeException e) {
        return 0;
      }
    }
  }

  private static final String STACK_PID = System.getenv("INKFLOW_BENCH_STACK_PID");

  /** The images' texts ({@code --text}), or null for noise images. */
  private static Posters posters;

  /** The glyph texts the jobs ask for. */
  private static List<String> glyphTexts = List.of("春");

  /** Whether to print the CPU of the busiest threads per phase ({@code --thread-cpu}). */
  private static boolean printThreadCpu;

  /** CPU nanoseconds per live thread name (digits stripped), with {@code --thread-cpu}. */
  static void printThreads(String phase, Map<String, Long> before, double seconds) {
    if (!printThreadCpu) {
      return;
    }
    Map<String, Long> after = ThreadCpu.byName();
    after.entrySet().stream().map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0).sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(6)
        .forEach(e -> System.out.printf("    %s %-90s %.2f cores%n", phase, e.getKey(), e.getValue() / 1e9 / seconds));
  }
  private static double[] lastCpu = new double[3];

  /** S3 GET, header check, decode, then the reward pack per batch: images per second. */
  static double bareLoop(RewardModel model, ObjectStore store, ScoringSettings settings, List<String> uris) {
    long t0 = System.nanoTime();
    Cpu cpu = Cpu.now();
    Map<String, Long> threads = ThreadCpu.byName();
    List<RewardInput> inputs = new ArrayList<>();
    int scored = 0;
    for (String uri : uris) {
      byte[] bytes = store.get(uri, settings.maxImageBytes());
      PngInfo info = PngHeader.inspect(bytes);
      if (info.pixels() > settings.maxPixels()) {
        throw new IllegalStateException("bench image over the pixel limit");
      }
      RgbImage image = PngDecoder.decode(bytes, settings.maxPixels());
      inputs.add(new RewardInput(image, "a blue and white porcelain teapot, soft light", "a teapot", glyphTexts));
      if (inputs.size() == settings.batchSize()) {
        scored += model.score(inputs).size();
        inputs.clear();
      }
    }
    scored += model.score(inputs).size();
    double seconds = (System.nanoTime() - t0) / 1e9;
    lastCpu = Cpu.now().since(cpu, seconds);
    printThreads("bare", threads, seconds);
    return scored / seconds;
  }

  /**
   * The scoring app under test, started once for all rounds (its own topics, fresh state) and warmed
   * on a few images, so each round measures the steady state: produce the round's events, time until
   * the last ScoredImage is readable.
   */
  static final class StreamHarness implements AutoCloseable {
    private final Topics topics;
    private final KafkaStreams app;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<String, ScoredImage> consumer;

    StreamHarness(StreamsSettings streams, RestSchemaRegistryClient registry, RewardModel model, ObjectStore store,
        ScoringSettings settings, RewardPolicy policy, List<String> uris, String tag, int commitIntervalMs) throws Exception {
      String prefix = "bench-" + tag + ".";
      topics = Topics.create(registry, prefix, 1, true);
      try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, streams.bootstrapServers()))) {
        admin.createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList()).all().get();
      }
      StreamsSettings s = new StreamsSettings(streams.bootstrapServers(), streams.registryUrl(),
          Files.createTempDirectory("scoring-bench-"), prefix, 1, commitIntervalMs, streams.clientOverrides(), streams.registryOverrides());
      Properties props = ScoringTopology.withScoringDefaults(s.streamsProperties("scoring-bench-" + tag));
      props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
      app = new KafkaStreams(ScoringTopology.build(topics, settings, store, ImageScorer.of(model), policy), props);
      Map<String, Object> pc = new HashMap<>();
      pc.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, streams.bootstrapServers());
      pc.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      Map<String, Object> cc = new HashMap<>();
      cc.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, streams.bootstrapServers());
      cc.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      producer = new KafkaProducer<>(pc, new ByteArraySerializer(), new ByteArraySerializer());
      consumer = new KafkaConsumer<>(cc, new StringDeserializer(), topics.imagesScored.valueSerde().deserializer());
      TopicPartition out = new TopicPartition(topics.imagesScored.name(), 0);
      consumer.assign(List.of(out));
      consumer.seekToBeginning(List.of(out));
      app.start();
      // Warm the app (group join, transactions, first flushes) on a few images before any timing.
      int warm = Math.min(uris.size(), 4 * settings.batchSize());
      produce(producer, topics.imagesGenerated, uris.subList(0, warm), "warm");
      await(consumer, warm, Duration.ofMinutes(2));
    }

    /** Images per second for one round of events through the running app. */
    double round(List<String> uris, String tag) {
      Map<String, Long> threads = ThreadCpu.byName();
      long t0 = System.nanoTime();
      Cpu cpu = Cpu.now();
      produce(producer, topics.imagesGenerated, uris, tag);
      await(consumer, uris.size(), Duration.ofMinutes(10));
      double seconds = (System.nanoTime() - t0) / 1e9;
      lastCpu = Cpu.now().since(cpu, seconds);
      printThreads("stream", threads, seconds);
      return uris.size() / seconds;
    }

    @Override
    public void close() {
      consumer.close();
      producer.close();
      app.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      app.cleanUp();
    }
  }

  private static void produce(KafkaProducer<byte[], byte[]> producer, Topic<String, GeneratedImage> topic, List<String> uris, String tag) {
    for (int i = 0; i < uris.size(); i++) {
      GeneratedImage image = event(tag + "-" + (i / 4), i % 4, uris.get(i));
      producer.send(new ProducerRecord<>(topic.name(), image.getJob().getRequest().getRequestId().getBytes(StandardCharsets.UTF_8),
          topic.valueSerde().serializer().serialize(topic.name(), image)));
    }
    producer.flush();
  }

  private static void await(KafkaConsumer<String, ScoredImage> consumer, int count, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    int seen = 0;
    while (seen < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("expected " + count + " scored images within " + limit + ", found " + seen);
      }
      for (ConsumerRecord<String, ScoredImage> r : consumer.poll(Duration.ofMillis(20))) {
        seen++;
      }
    }
  }

  static GeneratedImage event(String requestId, int variant, String uri) {
    Instant now = Instant.now();
    PromptRequest request = PromptRequest.newBuilder().setRequestId(requestId).setBatchId("bench").setPrompt("a teapot")
        .setLanguage(Language.EN).setNumImages(4).setSubmittedAt(now).build();
    GenerationJob job = GenerationJob.newBuilder().setRequest(request).setVariant(variant).setNumVariants(4)
        .setJobId(requestId + "-" + variant).setNormalizedPrompt("a teapot")
        .setRewrittenPrompt("a blue and white porcelain teapot, soft light").setRewriteStrategy("bench").setRewriteVersion("1")
        .setGlyphTexts(glyphTexts).setSize(new Size(256, 256)).setSteps(6).setGuidanceScale(4.5f).setSeed(variant)
        .setPackId("bench").setPackVersion("1").setCreatedAt(now).build();
    return GeneratedImage.newBuilder().setJob(job).setStatus(ImageStatus.GENERATED).setImageUri(uri)
        .setDeliveredSize(new Size(256, 256)).setTimings(StageTimings.newBuilder().build()).setWorkerId("bench")
        .setGeneratedAt(now).build();
  }

  /**
   * A noise-textured PNG (compresses like a photo, not like a flat fill), distinct per index; a poster
   * with the glyph texts drawn on it with {@code --text}.
   */
  static byte[] png(int side, int index) {
    if (posters != null) {
      return PngEncoder.standard().encode(posters.draw(side, index), Map.of("bench", Integer.toString(index)));
    }
    SplittableRandom random = new SplittableRandom(index);
    byte[] rgb = new byte[side * side * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) ((i / 3 % side) + random.nextInt(48));
    }
    return PngEncoder.standard().encode(new RgbImage(side, side, rgb), Map.of("bench", Integer.toString(index)));
  }
}
