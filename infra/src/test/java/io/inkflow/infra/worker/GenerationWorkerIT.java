package io.inkflow.infra.worker;

import static io.inkflow.infra.worker.WorkerStack.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.infra.local.EmbeddedS3;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.worker.WorkerStack.RunningWorker;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3Settings;
import io.inkflow.workers.generate.ClaimStore;
import io.inkflow.workers.generate.ImageGenerator;
import io.inkflow.workers.generate.PipelineGenerator;
import io.inkflow.workers.generate.WorkerConfig;
import io.inkflow.workers.generate.WorkerMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/** The generation worker on the local stack with the tiny pack (256x256, 2 steps). */
class GenerationWorkerIT {
  static LocalStack stack;
  static RestSchemaRegistryClient registry;
  static PipelineGenerator generator;
  static S3Client s3;

  @BeforeAll
  static void start() {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("worker-it.").withPartitions(2));
    registry = WorkerStack.registry(stack);
    generator = PipelineGenerator.open(WorkerStack.PACK, SessionOptionsConfig.cpu());
    s3 = stack.connection().s3Client();
  }

  @AfterAll
  static void stop() {
    if (s3 != null) {
      s3.close();
    }
    if (generator != null) {
      generator.close();
    }
    if (registry != null) {
      registry.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  private static WorkerConfig config(String prefix, String group, Map<String, String> extra) {
    Map<String, String> env = WorkerStack.env(stack, prefix, group);
    env.putAll(extra);
    env.put("INKFLOW_WORKER_ID", group + "-" + System.nanoTime());
    return WorkerConfig.fromEnv(env);
  }

  @Test
  void jobsInDecodablePngsOfTheRightSizeInS3AndOneGeneratedEventEach() throws Exception {
    Topics topics = WorkerStack.topics(stack, registry, "happy.");
    List<GenerationJob> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      jobs.add(job("it-batch", "req-" + i, 0, 2));
      jobs.add(job("it-batch", "req-" + i, 1, 2));
    }
    WorkerStack.send(stack, topics, jobs);
    try (RunningWorker worker = new RunningWorker(config("happy.", "happy", Map.of()), topics, generator, s3,
        ClaimStore.none(), WorkerMetrics.NONE)) {
      List<ConsumerRecord<byte[], GeneratedImage>> out = WorkerStack.readUntil(stack, topics.imagesGenerated,
          Duration.ofSeconds(90), r -> r.size() >= jobs.size());
      assertThat(out).hasSize(6);
      for (ConsumerRecord<byte[], GeneratedImage> r : out) {
        GeneratedImage image = r.value();
        GenerationJob job = image.getJob();
        assertThat(image.getStatus()).isEqualTo(ImageStatus.GENERATED);
        assertThat(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(job.getRequest().getRequestId().toString());
        String key = ObjectKeys.image("it-batch", job.getRequest().getRequestId().toString(), job.getVariant(), job.getSeed());
        assertThat(image.getImageUri().toString()).isEqualTo(ObjectKeys.uri(stack.connection().bucket(), key));
        ResponseBytes<GetObjectResponse> object = s3.getObjectAsBytes(b -> b.bucket(stack.connection().bucket()).key(key));
        RgbImage decoded = PngDecoder.decode(object.asByteArray(), 1 << 20);
        assertThat(decoded.width()).isEqualTo(256);
        assertThat(decoded.height()).isEqualTo(256);
        assertThat(object.response().metadata()).containsEntry("job-id", job.getJobId().toString())
            .containsEntry("seed", Long.toString(job.getSeed())).containsEntry("pack-version", "0.1.0")
            .containsEntry("sha256", image.getSha256().toString());
        assertThat(image.getTimings().getBatchSize()).isBetween(1, 4);
        assertThat(image.getTimings().getDenoiseMs()).isPositive();
      }
      assertThat(WorkerStack.distinctJobs(out)).isEqualTo(6);
    }
  }

  @Test
  void aSecondWorkerJoiningMidStreamTakesOverPartitionsWithoutLosingOrRepeatingResults() throws Exception {
    Topics topics = WorkerStack.topics(stack, registry, "rebalance.");
    List<GenerationJob> jobs = new ArrayList<>();
    // More jobs per partition than one worker holds (4 x (2 + 2) + 2 = 18), so some are left for the second.
    for (int i = 0; i < 20; i++) {
      jobs.add(job("rebalance", "rb-" + i, 0, 1));
      jobs.add(job("rebalance", "rb-" + i, 1, 1));
    }
    WorkerStack.send(stack, topics, jobs);
    // After its first batch the first worker holds its renders until the group has handed a partition
    // away from it (two members, neither holding both partitions), so the rebalance lands while it is
    // busy and its unstarted jobs go to the second worker.
    CountDownLatch secondInGroup = new CountDownLatch(1);
    AtomicInteger firstRenders = new AtomicInteger();
    ImageGenerator held = new FailingOn("no job says this") {
      @Override
      public List<RenderedImage> render(List<ImageRequest> batch) {
        try {
          if (firstRenders.incrementAndGet() > 1 && !secondInGroup.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("no partition moved to the second worker within 60 s");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
        return super.render(batch);
      }
    };
    WorkerConfig firstConfig = config("rebalance.", "rebalance", Map.of());
    String group = firstConfig.groupId();
    try (RunningWorker first = new RunningWorker(firstConfig, topics, held, s3, ClaimStore.none(), WorkerMetrics.NONE);
         Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()))) {
      WorkerStack.readUntil(stack, topics.imagesGenerated, Duration.ofSeconds(60), r -> !r.isEmpty());
      try (RunningWorker second = new RunningWorker(config("rebalance.", "rebalance", Map.of()), topics,
          new FailingOn("no job says this"), s3, ClaimStore.none(), WorkerMetrics.NONE)) {
        try {
          await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            var members = admin.describeConsumerGroups(List.of(group)).all().get().get(group).members();
            return members.size() == 2 && members.stream().allMatch(m -> m.assignment().topicPartitions().size() < 2);
          });
        } finally {
          secondInGroup.countDown(); // released either way, so a failed wait does not also hang the first worker
        }
        List<ConsumerRecord<byte[], GeneratedImage>> out = WorkerStack.readUntil(stack, topics.imagesGenerated,
            Duration.ofSeconds(90), r -> WorkerStack.distinctJobs(r) >= jobs.size());
        // The revoked partition's started jobs were finished and committed before it moved: nothing twice.
        List<ConsumerRecord<byte[], GeneratedImage>> all = WorkerStack.readUntil(stack, topics.imagesGenerated,
            Duration.ofSeconds(5), r -> r.size() >= out.size());
        assertThat(all).hasSize(jobs.size());
        assertThat(all.stream().map(r -> r.value().getWorkerId().toString()).distinct()).hasSize(2);
      }
    }
  }

  /** Fails every batch holding a job whose prompt says so; otherwise the real pack. */
  static class FailingOn implements ImageGenerator {
    final String marker;

    FailingOn(String marker) {
      this.marker = marker;
    }

    @Override
    public String packId() {
      return generator.packId();
    }

    @Override
    public String packVersion() {
      return generator.packVersion();
    }

    @Override
    public List<RenderedImage> render(List<ImageRequest> batch) {
      if (batch.stream().anyMatch(r -> r.prompt().contains(marker))) {
        throw new io.inkflow.inference.runtime.InferenceException("simulated ORT failure on " + marker, null);
      }
      return generator.render(batch);
    }

    @Override
    public GeneratedPng encodePng(RenderedImage image) {
      return generator.encodePng(image);
    }
  }

  @Test
  void aJobThatAlwaysFailsEndsAsOneDeadLetterAndOneFailedEventAfterNAttemptsAcrossARestart() throws Exception {
    Topics topics = WorkerStack.topics(stack, registry, "failing.");
    GenerationJob bad = job("it-batch", "doomed", 0, 1);
    List<GenerationJob> jobs = List.of(job("it-batch", "fine", 0, 1), bad, job("it-batch", "fine", 1, 1));
    WorkerStack.send(stack, topics, jobs);
    WorkerConfig config = config("failing.", "failing", Map.of("INKFLOW_WORKER_MAX_ATTEMPTS", "3"));
    ImageGenerator failing = new FailingOn("doomed");
    try (RunningWorker first = new RunningWorker(config, topics, failing, s3, ClaimStore.none(), WorkerMetrics.NONE)) {
      WorkerStack.readUntil(stack, topics.generationJobs, Duration.ofSeconds(60),
          r -> r.stream().anyMatch(x -> x.value().getJobId().toString().equals("doomed-0") && x.value().getAttempt() >= 2));
    }
    try (RunningWorker second = new RunningWorker(config, topics, failing, s3, ClaimStore.none(), WorkerMetrics.NONE)) {
      List<ConsumerRecord<byte[], GeneratedImage>> out = WorkerStack.readUntil(stack, topics.imagesGenerated,
          Duration.ofSeconds(60), r -> WorkerStack.distinctJobs(r) >= 3);
      List<ConsumerRecord<byte[], byte[]>> dead = WorkerStack.readUntil(stack, topics.generationJobsDlq,
          Duration.ofSeconds(30), r -> !r.isEmpty());
      assertThat(dead).singleElement().satisfies(d -> {
        assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("INFERENCE_ERROR");
        assertThat(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.ERROR_ATTEMPTS)).isEqualTo("3");
        GenerationJob original = topics.generationJobs.valueSerde().deserializer().deserialize(topics.generationJobs.name(), d.value());
        assertThat(original.getJobId().toString()).isEqualTo("doomed-0");
        assertThat(original.getAttempt()).isEqualTo(3);
      });
      List<GeneratedImage> doomed = out.stream().map(ConsumerRecord::value)
          .filter(v -> v.getJob().getJobId().toString().equals("doomed-0")).toList();
      assertThat(doomed).singleElement().satisfies(v -> {
        assertThat(v.getStatus()).isEqualTo(ImageStatus.FAILED);
        assertThat(v.getErrorCode().toString()).isEqualTo("INFERENCE_ERROR");
      });
      assertThat(out.stream().map(ConsumerRecord::value).filter(v -> v.getStatus() == ImageStatus.GENERATED)
          .map(v -> v.getJob().getJobId().toString()).distinct()).containsExactlyInAnyOrder("fine-0", "fine-1");
    }
  }

  @Test
  void anS3OutageIsRiddenOutWithRetriesAndEveryJobCompletes(@TempDir Path objects) throws Exception {
    Topics topics = WorkerStack.topics(stack, registry, "outage.");
    String key = "outage-key";
    String secret = "outage-secret";
    String bucket = "outage-bucket";
    EmbeddedS3 server = EmbeddedS3.start(0, EmbeddedS3.Storage.FILESYSTEM, objects, key, secret);
    server.createBucket(bucket);
    int port = server.port();
    S3Settings settings = S3Settings.local(server.endpoint(), bucket, key, secret);
    WorkerConfig config = config("outage.", "outage", Map.of(
        "INKFLOW_S3_ENDPOINT", server.endpoint().toString(), "INKFLOW_S3_BUCKET", bucket,
        "INKFLOW_S3_ACCESS_KEY", key, "INKFLOW_S3_SECRET_KEY", secret,
        "INKFLOW_WORKER_IO_ATTEMPTS", "40", "INKFLOW_WORKER_IO_BACKOFF", "PT0.05S", "INKFLOW_WORKER_IO_BACKOFF_MAX", "PT0.4S"));
    AtomicInteger retries = new AtomicInteger();
    WorkerMetrics counting = new WorkerMetrics() {
      @Override
      public void retry(String what) {
        retries.incrementAndGet();
      }
    };
    server.close(); // S3 goes away before any job arrives
    EmbeddedS3 restarted = null;
    try (S3Client client = S3Clients.create(settings);
         RunningWorker worker = new RunningWorker(config, topics, generator, client, ClaimStore.none(), counting)) {
      List<GenerationJob> jobs = List.of(job("outage", "o1", 0, 1), job("outage", "o1", 1, 1), job("outage", "o2", 0, 1));
      WorkerStack.send(stack, topics, jobs);
      await().atMost(Duration.ofSeconds(60)).until(() -> retries.get() >= 3);
      restarted = EmbeddedS3.start(port, EmbeddedS3.Storage.FILESYSTEM, objects, key, secret);
      restarted.createBucket(bucket);
      List<ConsumerRecord<byte[], GeneratedImage>> out = WorkerStack.readUntil(stack, topics.imagesGenerated,
          Duration.ofSeconds(60), r -> WorkerStack.distinctJobs(r) >= 3);
      assertThat(out).allSatisfy(r -> assertThat(r.value().getStatus()).isEqualTo(ImageStatus.GENERATED));
      for (GenerationJob job : jobs) {
        String objectKey = ObjectKeys.image("outage", job.getRequest().getRequestId().toString(), job.getVariant(), job.getSeed());
        assertThat(client.headObject(b -> b.bucket(bucket).key(objectKey)).metadata()).containsEntry("job-id", job.getJobId().toString());
      }
    } finally {
      if (restarted != null) {
        restarted.close();
      }
    }
  }
}
