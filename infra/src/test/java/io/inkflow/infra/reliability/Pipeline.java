package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.BatchResult;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.ScoredImage;
import io.inkflow.infra.demo.ServiceProcess;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.submit.BatchSubmitter;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import io.inkflow.streams.scoring.ScoringApp;
import io.inkflow.workers.generate.GenerationWorkerMain;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import io.inkflow.avro.BatchSubmitted;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole pipeline for reliability tests: the local stack in this JVM and the real service
 * {@code main}s (PE rewrite, generation worker, scoring) as child JVMs, each with a log that survives
 * its restarts. Services are named; a test kills, restarts or adds them by name and waits for batches
 * to finish on observable state (topics, S3), never on time.
 */
final class Pipeline implements AutoCloseable {
  static final Path PACK = Path.of("models", "tiny-mmdit-flow").toAbsolutePath();
  static final Path REWARD_PACK = Path.of("models", "tiny-reward").toAbsolutePath();
  static final String PE = "pe-rewrite";
  static final String WORKER = "worker";
  static final String SCORING = "scoring";
  /** Heap of every child JVM unless a test says otherwise. */
  static final String HEAP = "384m";

  final LocalStack stack;
  final Path dir;
  final Path logs;
  private final Map<String, String> baseEnv;
  private final Map<String, ServiceProcess> running = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> envByService = new HashMap<>();
  private final Map<String, List<String>> flagsByService = new HashMap<>();

  private final Map<String, Class<?>> mainByService = new HashMap<>();

  private Pipeline(LocalStack stack, Path dir, String topicPrefix) throws IOException {
    this.stack = stack;
    this.dir = dir;
    this.logs = Files.createDirectories(dir.resolve("logs"));
    Map<String, String> env = new HashMap<>(stack.connection().asEnv());
    env.putAll(stack.topics().settings().asEnv());
    env.put("INKFLOW_S3_ACCESS_KEY", stack.connection().s3AccessKey());
    env.put("INKFLOW_S3_SECRET_KEY", stack.connection().s3SecretKey());
    env.put("INKFLOW_TOPIC_PREFIX", topicPrefix);
    env.put("INKFLOW_PACK_DIR", PACK.toString());
    env.put("INKFLOW_REWARD_PACK_DIR", REWARD_PACK.toString());
    env.put("INKFLOW_WORKER_CLAIM_DIR", dir.resolve("claims").toString());
    env.put("INKFLOW_WORKER_BATCH_SIZE", "4");
    env.put("INKFLOW_WORKER_MAX_WAIT", "PT0.1S");
    env.put("INKFLOW_WORKER_PNG", "fast");
    env.put("INKFLOW_SCORING_BATCH_SIZE", "8");
    // A killed member is noticed after the session timeout; the broker's minimum keeps restarts quick.
    env.put("INKFLOW_KAFKA_CLIENT_SESSION_TIMEOUT_MS", "6000");
    this.baseEnv = env;
  }

  /** A fresh stack (topics under {@code prefix}, two partitions each) with nothing running on it yet. */
  static Pipeline start(Path dir, String prefix) throws IOException {
    return start(dir, LocalStackConfig.ephemeral().withTopicPrefix(prefix).withPartitions(2));
  }

  static Pipeline start(Path dir, LocalStackConfig config) throws IOException {
    return around(LocalStack.start(config), dir, config);
  }

  /**
   * The registry and S3 server in this JVM, topics sized by {@code config} created on the cluster at
   * {@code bootstrap}, which runs elsewhere; nothing running on it yet.
   */
  static Pipeline startOn(Path dir, LocalStackConfig config, String bootstrap) throws IOException {
    return around(LocalStack.startOn(config, bootstrap), dir, config);
  }

  private static Pipeline around(LocalStack stack, Path dir, LocalStackConfig config) throws IOException {
    try {
      return new Pipeline(stack, dir, config.topicPrefix());
    } catch (IOException | RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  Topics topics() {
    return stack.topics();
  }

  String bootstrap() {
    return stack.connection().bootstrapServers();
  }

  /** The environment every service gets. */
  Map<String, String> env() {
    return Map.copyOf(baseEnv);
  }

  /** Adds to the environment of every service started from now on. */
  Pipeline withEnv(Map<String, String> extra) {
    baseEnv.putAll(extra);
    return this;
  }

  /** Starts the three services of the pipeline. */
  Pipeline startAll() throws IOException {
    startPe();
    startWorker(WORKER, Map.of());
    startScoring();
    return this;
  }

  ServiceProcess startPe() throws IOException {
    return start(PE, PromptRewriteApp.class, Map.of("INKFLOW_STATE_DIR", dir.resolve("state-pe").toString()), HEAP);
  }

  ServiceProcess startScoring() throws IOException {
    return start(SCORING, ScoringApp.class, Map.of("INKFLOW_STATE_DIR", dir.resolve("state-scoring").toString()), HEAP);
  }

  ServiceProcess startWorker(String name, Map<String, String> extra) throws IOException {
    Map<String, String> env = new HashMap<>(extra);
    env.putIfAbsent("INKFLOW_WORKER_ID", name);
    return start(name, GenerationWorkerMain.class, env, HEAP);
  }

  /** Starts (or restarts, with the same settings unless given) a service; its log is appended to. */
  ServiceProcess start(String name, Class<?> main, Map<String, String> extra, String heap) throws IOException {
    return start(name, main, extra, List.of("-Xmx" + heap, "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"));
  }

  ServiceProcess start(String name, Class<?> main, Map<String, String> extra, List<String> jvmFlags) throws IOException {
    if (running.containsKey(name) && running.get(name).alive()) {
      throw new IllegalStateException(name + " is already running");
    }
    Map<String, String> env = new HashMap<>(baseEnv);
    env.putAll(extra);
    envByService.put(name, env);
    mainByService.put(name, main);
    flagsByService.put(name, jvmFlags);
    ServiceProcess p = ServiceProcess.start(name, main, env, log(name), jvmFlags, true);
    running.put(name, p);
    return p;
  }

  /** Starts a stopped or killed service again with the settings it had. */
  ServiceProcess restart(String name) throws Exception {
    Map<String, String> env = envByService.get(name);
    ServiceProcess p = ServiceProcess.start(name, mainByService.get(name), env, log(name), flagsByService.get(name), true);
    running.put(name, p);
    return p;
  }

  /** SIGKILL; asserts the process was alive until then and died of the signal. */
  void kill(String name) throws InterruptedException {
    ServiceProcess p = running.get(name);
    assertThat(p.alive()).as(name + " alive before the kill").isTrue();
    p.kill();
    assertThat(p.exitValue()).as(name + " exit status after SIGKILL").isEqualTo(137);
  }

  /** SIGTERM and wait for the drain; the service no longer counts as running. */
  void stop(String name) {
    running.remove(name).close();
  }

  ServiceProcess service(String name) {
    return running.get(name);
  }

  Path log(String name) {
    return logs.resolve(name + ".log");
  }

  /** Fails unless every started service is still running. */
  void assertAllAlive() {
    for (ServiceProcess p : running.values()) {
      assertThat(p.alive()).as(p.name() + " running; its log: " + p.log()).isTrue();
    }
  }

  /** {@code n} distinct requests of {@code numImages} 256×256 images, 2 steps each (fast on the tiny pack). */
  static List<PromptRequest> requests(String batchId, int n, int numImages) {
    List<PromptRequest> out = new ArrayList<>();
    String[] subjects = {"a red sneaker, side view", "青花瓷茶杯，白色背景", "a brass desk lamp", "a wool scarf, folded",
        "写出“福”字的红色海报", "a glass teapot on oak"};
    for (int i = 0; i < n; i++) {
      out.add(PromptRequest.newBuilder().setRequestId(batchId + ".r" + i).setBatchId(batchId)
          .setPrompt(subjects[i % subjects.length] + " #" + i).setNumImages(numImages).setWidth(256).setHeight(256)
          .setSteps(2).setSubmittedAt(Instant.now()).build());
    }
    return out;
  }

  void submit(String batchId, List<PromptRequest> requests) throws Exception {
    BatchSubmitter.submit(bootstrap(), topics(), batchId, "reliability-it", "test", requests);
  }

  /**
   * Submits a batch in parts: its expected count and the first {@code firstPart} requests now, the rest
   * when {@link Submission#next} or {@link Submission#rest} is called. Until the last part is sent the
   * batch cannot finish, so a fault injected in between always lands mid-batch.
   */
  Submission submitInParts(String batchId, List<PromptRequest> requests, int firstPart) throws Exception {
    try (KafkaProducer<String, byte[]> producer = producer()) {
      BatchSubmitted submitted = BatchSubmitted.newBuilder().setBatchId(batchId).setExpectedCount(requests.size())
          .setSubmitter("reliability-it").setSource("test").setSubmittedAt(Instant.now()).build();
      producer.send(new ProducerRecord<>(topics().batches.name(), batchId,
          topics().batches.valueSerde().serializer().serialize(topics().batches.name(), submitted))).get(60, TimeUnit.SECONDS);
    }
    Submission submission = new Submission(requests);
    submission.next(firstPart);
    return submission;
  }

  /** The requests of a batch that are not sent yet, sent in order in parts. */
  final class Submission {
    private final List<PromptRequest> requests;
    private int sent;

    private Submission(List<PromptRequest> requests) {
      this.requests = requests;
    }

    /** Sends the next {@code n} requests, or those left when fewer are. */
    void next(int n) throws Exception {
      int end = Math.min(requests.size(), sent + n);
      try (KafkaProducer<String, byte[]> producer = producer()) {
        send(producer, requests.subList(sent, end));
      }
      sent = end;
    }

    /** Sends every request not sent yet: the batch can finish from now on. */
    void rest() throws Exception {
      next(requests.size() - sent);
    }
  }

  private KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(), ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new ByteArraySerializer());
  }

  private void send(KafkaProducer<String, byte[]> producer, List<PromptRequest> requests) throws Exception {
    for (PromptRequest r : requests) {
      producer.send(new ProducerRecord<>(topics().promptRequests.name(), r.getRequestId(),
          topics().promptRequests.valueSerde().serializer().serialize(topics().promptRequests.name(), r))).get(60, TimeUnit.SECONDS);
    }
  }

  /** Waits for the batch's BatchResult, failing early if a service dies. */
  BatchResult awaitBatch(String batchId, Duration timeout) {
    List<BatchResult> found = new ArrayList<>();
    await("batch " + batchId + " finished; logs in " + logs).atMost(timeout).pollInterval(Duration.ofSeconds(1)).until(() -> {
      assertAllAlive();
      found.clear();
      TopicReader.readAll(bootstrap(), topics().batchResults).stream()
          .filter(b -> b.getBatchId().equals(batchId)).forEach(found::add);
      return !found.isEmpty();
    });
    return found.get(0);
  }

  /** Waits until {@code topic} holds at least {@code n} records whose value matches, failing early if a service dies. */
  <V> void awaitRecords(io.inkflow.schemas.Topic<?, V> topic, int n, java.util.function.Predicate<V> which, Duration timeout) {
    await(n + " record(s) on " + topic.name()).atMost(timeout).pollInterval(Duration.ofMillis(500)).until(() -> {
      assertAllAlive();
      return TopicReader.readAll(bootstrap(), topic).stream().filter(which).count() >= n;
    });
  }

  /**
   * The invariants of DESIGN.md's "Terminal states" for one finished batch: every request has exactly
   * one RequestResult, every accepted job exactly one ScoredImage, the batch one BatchResult whose
   * counts add up, and every image object in S3 sits under the key of the job its metadata names.
   *
   * @return the outcome, for further assertions
   */
  Outcome assertNothingLostOrRepeated(String batchId, List<PromptRequest> requests) {
    Set<String> ids = requests.stream().map(PromptRequest::getRequestId).collect(Collectors.toSet());
    List<RequestResult> results = TopicReader.readAll(bootstrap(), topics().requestResults).stream()
        .filter(r -> ids.contains(r.getRequestId())).toList();
    Map<String, Long> resultsPerRequest = results.stream().collect(Collectors.groupingBy(RequestResult::getRequestId, Collectors.counting()));
    assertThat(resultsPerRequest.keySet()).as("requests with a result").containsExactlyInAnyOrderElementsOf(ids);
    assertThat(resultsPerRequest).as("results per request").allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1L));

    List<ScoredImage> scored = TopicReader.readAll(bootstrap(), topics().imagesScored).stream()
        .filter(s -> ids.contains(s.getImage().getJob().getRequest().getRequestId())).toList();
    Map<String, Long> scoresPerJob = scored.stream()
        .collect(Collectors.groupingBy(s -> s.getImage().getJob().getJobId(), Collectors.counting()));
    assertThat(scoresPerJob).as("images-scored records per jobId").allSatisfy((job, n) -> assertThat(n).as(job).isEqualTo(1L));
    int expectedJobs = results.stream().filter(r -> r.getStatus() != io.inkflow.avro.RequestStatus.REJECTED)
        .mapToInt(r -> requests.stream().filter(q -> q.getRequestId().equals(r.getRequestId())).findFirst().orElseThrow().getNumImages())
        .sum();
    assertThat(scoresPerJob).as("scored jobs").hasSize(expectedJobs);

    List<BatchResult> batch = TopicReader.readAll(bootstrap(), topics().batchResults).stream()
        .filter(b -> b.getBatchId().equals(batchId)).toList();
    assertThat(batch).as("batch results of " + batchId).hasSize(1);
    BatchResult b = batch.get(0);
    assertThat(b.getCompleted() + b.getPartial() + b.getFailed() + b.getRejected()).as("batch counts").isEqualTo(requests.size());
    assertThat(b.getExpectedCount()).isEqualTo(requests.size());

    Map<String, ScoredImage> byJob = scored.stream().collect(Collectors.toMap(s -> s.getImage().getJob().getJobId(), Function.identity()));
    assertImageKeysBelongToTheirJobs(byJob);
    return new Outcome(results, scored, b);
  }

  /**
   * Every object under {@code images/} holds the job id of its key in its metadata, and every scored
   * image's URI is the key its job computes.
   */
  void assertImageKeysBelongToTheirJobs(Map<String, ScoredImage> byJob) {
    String bucket = stack.connection().bucket();
    try (S3Client s3 = stack.connection().s3Client()) {
      Map<String, String> jobByKey = new HashMap<>();
      for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix("images/")).contents()) {
        String job = ObjectKeys.fromMetadata(s3.headObject(b -> b.bucket(bucket).key(o.key())).metadata().get("job-id"));
        assertThat(job).as("job-id metadata of " + o.key()).isNotNull();
        jobByKey.put(o.key(), job);
      }
      for (ScoredImage s : byJob.values()) {
        var job = s.getImage().getJob();
        if (s.getImage().getImageUri() == null) {
          continue;
        }
        String key = ObjectKeys.image(job.getRequest().getBatchId(), job.getRequest().getRequestId(), job.getVariant(), job.getSeed());
        assertThat(s.getImage().getImageUri()).isEqualTo(ObjectKeys.uri(bucket, key));
        assertThat(jobByKey.get(key)).as("job id in the metadata of " + key).isEqualTo(job.getJobId());
      }
      jobByKey.forEach((key, job) -> {
        ScoredImage s = byJob.get(job);
        if (s != null) {
          assertThat(s.getImage().getImageUri()).as("object " + key + " of job " + job).endsWith("/" + key);
        }
      });
    }
  }

  /** Every service log, concatenated. */
  String allLogs() throws IOException {
    StringBuilder sb = new StringBuilder();
    try (var files = Files.list(logs)) {
      for (Path p : files.sorted().toList()) {
        sb.append(Files.readString(p, StandardCharsets.UTF_8));
      }
    }
    return sb.toString();
  }

  /** What a finished batch left on its topics. */
  record Outcome(List<RequestResult> results, List<ScoredImage> scored, BatchResult batch) {}

  @Override
  public void close() {
    List<ServiceProcess> all = new ArrayList<>(running.values());
    for (int i = all.size() - 1; i >= 0; i--) {
      all.get(i).close();
    }
    stack.close();
  }
}
