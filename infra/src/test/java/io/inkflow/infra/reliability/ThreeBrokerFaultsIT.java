package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.storage.ObjectKeys;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The pipeline on a cluster of three KRaft brokers — separate JVMs, each in a network namespace of its
 * own — with every topic at replication factor 3 and min ISR 2, Kafka's and Streams' internal topics
 * included; the streams run exactly-once, the worker produces with {@code acks=all}, idempotent. While
 * one batch is under way (it is sent in parts, one before each fault, so it cannot finish early): a
 * broker is SIGKILLed and started again on its log directory; the active controller is SIGKILLed and,
 * once another node leads the quorum, started again; the broker leading the most partitions is cut off
 * the network for 20 s. After each fault the test waits until every partition has all three replicas
 * in sync before the next. Afterwards every request has exactly one result (all COMPLETED), every job
 * exactly one score and its image in S3, and the batch one result whose counts add up. Re-renders
 * (images the worker rendered beyond one per job) are counted, not forbidden: the worker delivers at
 * least once and the scorer keeps one score per job.
 *
 * <p>Needs root and iproute2 to make the namespaces; skipped otherwise. Sized by
 * {@code -Dinkflow.faults.requests} (default 24 requests of 2 images) and {@code -Dinkflow.faults.rounds}
 * (default 1 round of the three faults); {@code -Dinkflow.faults.session.timeout.ms} replaces the suite's
 * 6 s group session timeout of the services; {@code scripts/eval/broker-faults} runs a longer soak.
 */
class ThreeBrokerFaultsIT {
  private static final int BROKERS = 3;
  private static final int MIN_ISR = 2;
  private static final int IMAGES = 2;
  private static final int REQUESTS = Integer.getInteger("inkflow.faults.requests", 24);
  private static final int ROUNDS = Integer.getInteger("inkflow.faults.rounds", 1);
  private static final String SUBNET = System.getProperty("inkflow.faults.subnet", "10.213.61");
  private static final String SESSION_TIMEOUT = "INKFLOW_KAFKA_CLIENT_SESSION_TIMEOUT_MS";
  private static final Duration CUT = Duration.ofSeconds(20);
  /** Generous: three brokers, a registry, S3 and three services share two cores. */
  private static final Duration RECOVERY = Duration.ofMinutes(3);
  private static final Pattern RENDERED = Pattern.compile("(?m)^inkflow_worker_batch_size_sum(?:\\{[^}]*\\})? ([0-9.eE+-]+)$");

  @TempDir static Path dir;
  static BrokerNetwork net;
  static KafkaCluster cluster;
  static Pipeline pipeline;
  static int workerHttpPort;

  @BeforeAll
  static void start() throws Exception {
    Optional<String> unavailable = BrokerNetwork.unavailable();
    assumeTrue(unavailable.isEmpty(), () -> "skipped: brokers in network namespaces need root and iproute2; " + unavailable.orElse(""));
    net = BrokerNetwork.create(SUBNET, BROKERS);
    cluster = KafkaCluster.start(net, BROKERS, MIN_ISR, dir.resolve("cluster"), RECOVERY);
    TopicSettings topics = new TopicSettings(2, Map.of(), (short) BROKERS, MIN_ISR);
    pipeline = Pipeline.startOn(dir.resolve("pipeline"), LocalStackConfig.ephemeral().withTopicPrefix("faults-it.").withTopics(topics),
        cluster.bootstrap());
    String session = System.getProperty("inkflow.faults.session.timeout.ms");
    if (session != null && !session.isBlank()) {
      // The services' group session timeout (the suite's 6 s unless given; Kafka's default is 45 s).
      pipeline.withEnv(Map.of(SESSION_TIMEOUT, session));
    }
    workerHttpPort = freePort();
    pipeline.startPe();
    pipeline.startWorker(Pipeline.WORKER, Map.of("INKFLOW_WORKER_HTTP_PORT", Integer.toString(workerHttpPort)));
    pipeline.startScoring();
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      try {
        if (pipeline != null) {
          pipeline.close();
        }
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
      keepLogs();
    } finally {
      if (net != null) {
        net.close();
      }
    }
  }

  /**
   * What one fault did and how long the cluster and the pipeline took to get over it. Times count from
   * the fault's start (kill, cut) unless said otherwise; the fault ends when the killed node answers
   * requests again (restarted) or the link is restored.
   *
   * @param downSeconds start → end of the fault
   * @param electedSeconds start → another node leads the quorum (controller kill only, else -1)
   * @param fencedSeconds start → the quorum no longer lists the node as a live broker (-1: never seen)
   * @param fewestInSync fewest in-sync replicas of any partition seen from the start to full recovery
   * @param underMinIsr most partitions seen at once with fewer than min ISR in sync (writes refused)
   * @param inSyncSeconds end → every partition of every topic has all replicas in sync again
   * @param began when it began ({@link System#nanoTime})
   * @param firstScoreSeconds start → the first new score a read_committed consumer sees (-1: not looked up yet)
   * @param scoresMeanwhile scores seen from the start to full recovery
   */
  record Fault(String what, long began, double downSeconds, double electedSeconds, double fencedSeconds, int fewestInSync,
      int underMinIsr, double inSyncSeconds, double firstScoreSeconds, int scoresMeanwhile) {
    /** This fault with the first score seen after it began, looked up once the batch is done. */
    Fault withFirstScore(ScoreWatch scores) {
      long first = scores.firstAfter(began);
      return new Fault(what, began, downSeconds, electedSeconds, fencedSeconds, fewestInSync, underMinIsr, inSyncSeconds,
          first < 0 ? -1 : seconds(first - began), scoresMeanwhile);
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder(what).append(String.format(Locale.ROOT, ": down %.1f s", downSeconds));
      if (electedSeconds >= 0) {
        sb.append(String.format(Locale.ROOT, ", new controller after %.1f s", electedSeconds));
      }
      sb.append(fencedSeconds < 0 ? ", never fenced" : String.format(Locale.ROOT, ", fenced after %.1f s", fencedSeconds));
      sb.append(String.format(Locale.ROOT, ", ISR down to %d, %d partition(s) under min ISR", fewestInSync, underMinIsr));
      sb.append(String.format(Locale.ROOT, ", all replicas in sync %.1f s after it ended", inSyncSeconds));
      sb.append(", ").append(scoresMeanwhile).append(" scores meanwhile");
      return sb.append(firstScoreSeconds < 0 ? "" : String.format(Locale.ROOT, ", first new score %.1f s after it began", firstScoreSeconds))
          .toString();
    }
  }

  @Test
  void aBatchRidesOutABrokerKillAControllerKillAndA20SecondCutWithNothingLostOrRepeated() throws Exception {
    String batch = "broker-faults";
    List<PromptRequest> requests = Pipeline.requests(batch, REQUESTS, IMAGES);
    int part = Math.max(1, REQUESTS / (3 * ROUNDS + 2));
    long began = System.nanoTime();
    List<Fault> faults = new ArrayList<>();
    try (ScoreWatch scores = new ScoreWatch(pipeline.bootstrap(), pipeline.topics().imagesScored, batch);
        ClusterWatch watch = new ClusterWatch(cluster, MIN_ISR)) {
      Pipeline.Submission submission = pipeline.submitInParts(batch, requests, part);
      pipeline.awaitRecords(pipeline.topics().imagesScored, 1, s -> batch.equals(s.getImage().getJob().getRequest().getBatchId()),
          RECOVERY);
      for (int round = 0; round < ROUNDS; round++) {
        // Each fault gets fresh requests, so every stage has work while it lasts.
        submission.next(part);
        faults.add(killAndRestartABroker(scores, watch));
        submission.next(part);
        faults.add(killTheActiveController(scores, watch));
        submission.next(part);
        faults.add(cutOffTheBusiestBroker(scores, watch));
      }
      submission.rest();
      pipeline.awaitBatch(batch, Duration.ofMinutes(6));
      faults.replaceAll(f -> f.withFirstScore(scores));
    }
    double batchSeconds = (System.nanoTime() - began) / 1e9;

    // Count before asserting, so that a failing run still reports what it saw.
    Set<String> ids = requests.stream().map(PromptRequest::getRequestId).collect(Collectors.toSet());
    List<RequestResult> results = TopicReader.readAll(pipeline.bootstrap(), pipeline.topics().requestResults).stream()
        .filter(r -> ids.contains(r.getRequestId())).toList();
    List<ScoredImage> scored = TopicReader.readAll(pipeline.bootstrap(), pipeline.topics().imagesScored).stream()
        .filter(s -> ids.contains(s.getImage().getJob().getRequest().getRequestId())).toList();
    List<GeneratedImage> delivered = TopicReader.readAll(pipeline.bootstrap(), pipeline.topics().imagesGenerated).stream()
        .filter(g -> ids.contains(g.getJob().getRequest().getRequestId())).toList();
    List<GenerationJob> committedJobs = TopicReader.readAll(pipeline.bootstrap(), pipeline.topics().generationJobs).stream()
        .filter(j -> ids.contains(j.getRequest().getRequestId())).toList();
    long requeued = committedJobs.stream().filter(j -> j.getAttempt() > 1).count();
    // Job records the PE stream wrote in transactions that were then aborted: a read_committed reader never sees them.
    long abortedJobs = TopicReader.readAllUncommitted(pipeline.bootstrap(), pipeline.topics().generationJobs).stream()
        .filter(j -> ids.contains(j.getRequest().getRequestId())).count() - committedJobs.size();
    int jobs = REQUESTS * IMAGES;
    long duplicatedResults = results.size() - results.stream().map(RequestResult::getRequestId).distinct().count();
    long duplicatedScores = scored.size() - scored.stream().map(s -> s.getImage().getJob().getJobId()).distinct().count();
    Set<String> stored = storedImages();
    long good = scored.stream().filter(s -> s.getVerdict() != Verdict.FAILED && stored.contains(s.getImage().getImageUri()))
        .map(s -> s.getImage().getJob().getJobId()).distinct().count();
    long lost = jobs - good;
    long rendered = Math.round(renderedByTheWorker());
    long deliveredTwice = delivered.size() - delivered.stream().map(g -> g.getJob().getJobId()).distinct().count();
    // The worker logs each loss of its partitions (its group session expired): what it held uncommitted is redone.
    long losses = Pattern.compile("GenerationWorker - lost \\[").matcher(Files.readString(pipeline.log(Pipeline.WORKER))).results().count();
    System.out.printf(Locale.ROOT, "broker faults: %d brokers (RF %d, min ISR %d); %d fault(s): %s; %d requests, %d jobs; lost %d; "
            + "duplicated %d results, %d scores; re-rendered %d (rendered %d for %d jobs; %d delivered twice; %d re-queued; "
            + "%d job records in aborted transactions; worker lost its partitions %d time(s), session timeout %s ms); batch %.0f s%n",
        BROKERS, BROKERS, MIN_ISR, faults.size(), faults, REQUESTS, jobs, lost, duplicatedResults, duplicatedScores, rendered - jobs,
        rendered, jobs, deliveredTwice, requeued, abortedJobs, losses, pipeline.env().get(SESSION_TIMEOUT), batchSeconds);

    Pipeline.Outcome outcome = pipeline.assertNothingLostOrRepeated(batch, requests);
    assertThat(outcome.results()).allSatisfy(r -> assertThat(r.getStatus()).as(r.getRequestId()).isEqualTo(RequestStatus.COMPLETED));
    assertThat(outcome.scored()).hasSize(jobs)
        .allSatisfy(s -> assertThat(s.getVerdict()).as(s.getImage().getJob().getJobId()).isNotEqualTo(Verdict.FAILED));
    assertThat(lost).as("jobs without a good image").isZero();
    assertThat(rendered).as("images the worker rendered (its inkflow_worker_batch_size_sum)").isGreaterThanOrEqualTo(jobs);
    assertThat(faults).hasSize(3 * ROUNDS);
    pipeline.assertAllAlive();
    cluster.assertAlive(IntStream.rangeClosed(1, BROKERS).boxed().toList());
    assertEveryTopicHasThreeReplicasAndMinIsrTwo();
  }

  /** Copies the brokers' and services' logs to {@code -Dinkflow.faults.logs} when it is set (the soak keeps them). */
  private static void keepLogs() throws IOException {
    String to = System.getProperty("inkflow.faults.logs");
    if (to == null || to.isBlank()) {
      return;
    }
    Path target = Files.createDirectories(Path.of(to));
    for (Path logs : List.of(dir.resolve("cluster").resolve("logs"), dir.resolve("pipeline").resolve("logs"))) {
      if (Files.isDirectory(logs)) {
        try (Stream<Path> files = Files.list(logs)) {
          for (Path f : files.toList()) {
            Files.copy(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
  }

  /** SIGKILL of the broker (not the controller) that leads the most partitions, and at once a restart on its log directory. */
  private static Fault killAndRestartABroker(ScoreWatch scores, ClusterWatch watch) throws Exception {
    int controller = cluster.activeController();
    int victim = busiest(Set.of(controller));
    long began = System.nanoTime();
    cluster.kill(victim);
    cluster.launch(victim);
    long ended = cluster.awaitAnswering(victim, RECOVERY);
    return recovered("SIGKILL of broker " + victim + ", restarted", victim, began, ended, -1, scores, watch);
  }

  /** SIGKILL of the node leading the metadata quorum; it is started again once another node leads. */
  private static Fault killTheActiveController(ScoreWatch scores, ClusterWatch watch) throws Exception {
    int controller = cluster.activeController();
    assertThat(controller).as("active controller").isBetween(1, BROKERS);
    long began = System.nanoTime();
    cluster.kill(controller);
    AtomicLong elected = new AtomicLong();
    await("another node leads the quorum after controller " + controller + " was killed").atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
          int now = cluster.activeController();
          elected.set(System.nanoTime());
          return now != controller && now > 0;
        });
    cluster.launch(controller);
    long ended = cluster.awaitAnswering(controller, RECOVERY);
    return recovered("SIGKILL of active controller " + controller + ", restarted after the election", controller, began, ended,
        seconds(elected.get() - began), scores, watch);
  }

  /**
   * The broker leading the most partitions loses its link for {@link #CUT}: it stays alive but reaches no
   * one and no one reaches it. The 20 s are the fault itself; meanwhile the test checks every process.
   */
  private static Fault cutOffTheBusiestBroker(ScoreWatch scores, ClusterWatch watch) throws Exception {
    int victim = busiest(Set.of());
    long began = System.nanoTime();
    net.cut(victim);
    long ended;
    try {
      await("services and brokers up while broker " + victim + " is cut off").atMost(CUT.plusSeconds(30))
          .pollInterval(Duration.ofMillis(500)).until(() -> {
            pipeline.assertAllAlive();
            cluster.assertAlive(IntStream.rangeClosed(1, BROKERS).boxed().toList());
            assertThat(net.reachable(victim, KafkaCluster.PORT, 200)).as("broker " + victim + " reachable while cut off").isFalse();
            return System.nanoTime() - began >= CUT.toNanos();
          });
    } finally {
      net.restore(victim);
      ended = System.nanoTime();
    }
    return recovered("broker " + victim + " cut off", victim, began, ended, -1, scores, watch);
  }

  /** Waits until {@code node} is registered again and every partition has all replicas in sync; the figures of the fault. */
  private static Fault recovered(String what, int node, long began, long ended, double elected, ScoreWatch scores, ClusterWatch watch) {
    cluster.awaitRegistered(Set.of(node), RECOVERY);
    await("every partition with all " + BROKERS + " replicas in sync after: " + what).atMost(RECOVERY)
        .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
          pipeline.assertAllAlive();
          return cluster.fullyReplicated();
        });
    long inSync = System.nanoTime();
    long fenced = watch.firstWithout(node, began, inSync);
    Fault f = new Fault(what, began, seconds(ended - began), elected, fenced < 0 ? -1 : seconds(fenced - began),
        watch.fewestInSync(began, inSync), watch.mostUnderMinIsr(began, inSync), seconds(inSync - ended), -1,
        scores.between(began, inSync));
    System.out.println("fault: " + f);
    return f;
  }

  /** The broker leading the most partitions, leaving out {@code except}. */
  private static int busiest(Set<Integer> except) throws Exception {
    Map<Integer, Long> leaders = cluster.leaderCounts();
    return IntStream.rangeClosed(1, BROKERS).filter(n -> !except.contains(n)).boxed()
        .max((a, b) -> Long.compare(leaders.getOrDefault(a, 0L), leaders.getOrDefault(b, 0L))).orElseThrow();
  }

  private void assertEveryTopicHasThreeReplicasAndMinIsrTwo() throws Exception {
    List<TopicPartitionInfo> partitions = cluster.partitions();
    assertThat(partitions).as("partitions of every topic").isNotEmpty()
        .allSatisfy(p -> assertThat(p.replicas()).as("replicas of partition " + p.partition()).hasSize(BROKERS));
    Set<String> names = cluster.admin().listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS);
    assertThat(names).as("Streams' internal topics exist").anyMatch(n -> n.endsWith("-changelog"));
    List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs = cluster.admin().describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
    assertThat(configs).allSatisfy((topic, config) -> assertThat(config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG).value())
        .as("min.insync.replicas of " + topic.name()).isEqualTo(Integer.toString(MIN_ISR)));
  }

  /** The URIs of every object under {@code images/} in the bucket. */
  private static Set<String> storedImages() {
    String bucket = pipeline.stack.connection().bucket();
    Set<String> uris = new HashSet<>();
    try (S3Client s3 = pipeline.stack.connection().s3Client()) {
      s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix("images/")).contents().forEach(o -> uris.add(ObjectKeys.uri(bucket, o.key())));
    }
    return uris;
  }

  /** Images the worker rendered, from its Prometheus endpoint: the sum of its batch-size summary. */
  private static double renderedByTheWorker() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + workerHttpPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = RENDERED.matcher(body);
    assertThat(m.find()).as("inkflow_worker_batch_size_sum on the worker's /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Samples the cluster on a thread of its own, every half second or as fast as it answers (each call
   * gives up after 2 s): the live brokers and the in-sync replicas of every partition.
   */
  static final class ClusterWatch implements AutoCloseable {
    private record Sample(long at, Set<Integer> live, int fewestInSync, int underMinIsr) {}

    private final List<Sample> samples = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Thread thread;

    ClusterWatch(KafkaCluster cluster, int minIsr) {
      thread = new Thread(() -> {
        while (!closing.get()) {
          long at = System.nanoTime();
          try {
            Set<Integer> live = cluster.liveBrokers(Duration.ofSeconds(2));
            List<TopicPartitionInfo> partitions = cluster.partitions(Duration.ofSeconds(2));
            int fewest = partitions.stream().mapToInt(p -> p.isr().size()).min().orElse(0);
            int under = (int) partitions.stream().filter(p -> p.isr().size() < minIsr).count();
            samples.add(new Sample(at, live, fewest, under));
          } catch (Exception e) {
            // a call timed out while leaders move; the next sample asks again
          }
          long next = at + TimeUnit.MILLISECONDS.toNanos(500);
          LockSupport.parkNanos(Math.max(0, next - System.nanoTime()));
        }
      }, "cluster-watch");
      thread.setDaemon(true);
      thread.start();
    }

    /** The first sample in [{@code from}, {@code to}) that does not list {@code node} as live, or -1. */
    long firstWithout(int node, long from, long to) {
      synchronized (samples) {
        return samples.stream().filter(s -> s.at >= from && s.at < to && !s.live.contains(node)).mapToLong(Sample::at).findFirst().orElse(-1);
      }
    }

    /** The fewest in-sync replicas of any partition sampled in [{@code from}, {@code to}). */
    int fewestInSync(long from, long to) {
      synchronized (samples) {
        return samples.stream().filter(s -> s.at >= from && s.at < to).mapToInt(Sample::fewestInSync).min().orElse(-1);
      }
    }

    /** The most partitions under min ISR at once in [{@code from}, {@code to}). */
    int mostUnderMinIsr(long from, long to) {
      synchronized (samples) {
        return samples.stream().filter(s -> s.at >= from && s.at < to).mapToInt(Sample::underMinIsr).max().orElse(-1);
      }
    }

    @Override
    public void close() throws InterruptedException {
      closing.set(true);
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  /**
   * Follows {@code images-scored} (read_committed) from the start on a thread of its own and notes when
   * each score of one batch arrives: how soon the pipeline made progress during and after a fault.
   */
  static final class ScoreWatch implements AutoCloseable {
    private final List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean closing = new AtomicBoolean();
    private final KafkaConsumer<String, ScoredImage> consumer;
    private final Thread thread;

    ScoreWatch(String bootstrap, Topic<String, ScoredImage> topic, String batchId) {
      consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), topic.keySerde().deserializer(), topic.valueSerde().deserializer());
      List<TopicPartition> parts = consumer.partitionsFor(topic.name()).stream().map(p -> new TopicPartition(topic.name(), p.partition()))
          .toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Predicate<ScoredImage> ofBatch = s -> batchId.equals(s.getImage().getJob().getRequest().getBatchId());
      thread = new Thread(() -> {
        try {
          while (!closing.get()) {
            for (ConsumerRecord<String, ScoredImage> r : consumer.poll(Duration.ofMillis(200))) {
              if (ofBatch.test(r.value())) {
                arrivals.add(System.nanoTime());
              }
            }
          }
        } catch (WakeupException e) {
          // close() woke the poll: stop
        } finally {
          consumer.close(Duration.ofSeconds(5));
        }
      }, "score-watch");
      thread.setDaemon(true);
      thread.start();
    }

    /** When the first score at or after {@code nanos} arrived, or -1 if none has. */
    long firstAfter(long nanos) {
      synchronized (arrivals) {
        return arrivals.stream().filter(t -> t >= nanos).findFirst().orElse(-1L);
      }
    }

    /** Scores that arrived in [{@code from}, {@code to}). */
    int between(long from, long to) {
      synchronized (arrivals) {
        return (int) arrivals.stream().filter(t -> t >= from && t < to).count();
      }
    }

    @Override
    public void close() throws InterruptedException {
      closing.set(true);
      consumer.wakeup();
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }
}
