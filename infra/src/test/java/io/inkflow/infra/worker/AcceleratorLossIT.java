package io.inkflow.infra.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.scoring.ImageScorer;
import io.inkflow.streams.scoring.RewardPolicy;
import io.inkflow.streams.scoring.ScoringSettings;
import io.inkflow.streams.scoring.ScoringTopology;
import io.inkflow.workers.generate.ClaimStore;
import io.inkflow.workers.generate.SimulatedAccelerator;
import io.inkflow.workers.generate.WorkerConfig;
import io.inkflow.workers.generate.WorkerMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Two workers in one group, the scoring stream behind them; one worker's (simulated) accelerator is lost
 * half-way through its second batch, failing the way ONNX Runtime's CUDA provider fails when a GPU is gone.
 * That worker stops without committing the batch; the group gives its partition to the other worker, which
 * renders the batch; every job ends as exactly one scored image and every request as one result.
 */
class AcceleratorLossIT {
  private static final String PREFIX = "loss-it.";
  private static final String GROUP = "loss-it-workers";
  private static final Path REWARD_PACK = Path.of("models", "tiny-reward").toAbsolutePath();
  private static final SimulatedAccelerator.Latency LATENCY =
      new SimulatedAccelerator.Latency(Duration.ofMillis(60), Duration.ofMillis(20));

  @TempDir Path state;

  @Test
  void jobsOfABatchWhoseAcceleratorVanishedAreRenderedByTheOtherWorkerWithOneResultEach() throws Exception {
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix(PREFIX).withPartitions(WorkerStack.PARTITIONS));
         RestSchemaRegistryClient registry = WorkerStack.registry(stack);
         S3Client s3 = stack.connection().s3Client();
         RewardModel model = RewardModel.open(REWARD_PACK, SessionOptionsConfig.cpu())) {
      Topics topics = stack.topics();
      List<SimulatedAccelerator.Png> pngs = SimulatedAccelerator.encode(4, 256, 256, PngEncoder.fast());
      SimulatedAccelerator failing = new SimulatedAccelerator("tiny-mmdit-flow", "0.1.0", LATENCY, pngs).loseDeviceDuringBatch(1);
      SimulatedAccelerator healthy = new SimulatedAccelerator("tiny-mmdit-flow", "0.1.0", LATENCY, pngs);

      StreamsSettings settings = new StreamsSettings(stack.connection().bootstrapServers(), stack.connection().registryUrl(),
          state, PREFIX, 1, 100, Map.of(), Map.of());
      Properties props = settings.streamsProperties("loss-it-scoring-" + UUID.randomUUID());
      props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
      KafkaStreams scoring = new KafkaStreams(ScoringTopology.build(topics,
          ScoringSettings.defaults().withBatchSize(4).withRequestTimeout(Duration.ofMinutes(5)),
          new S3ObjectStore(s3, stack.connection().bucket()), ImageScorer.of(model), RewardPolicy.of(model.manifest())), props);
      scoring.start();
      WorkerStack.RunningWorker first = null;
      WorkerStack.RunningWorker second = null;
      try {
        // The first worker joins alone and takes both partitions; the second takes one of them from it.
        first = new WorkerStack.RunningWorker(config(stack, "lossy"), topics, failing, s3, ClaimStore.none(), WorkerMetrics.NONE);
        WorkerStack.RunningWorker a = first;
        await("first worker ready").atMost(Duration.ofSeconds(60)).until(() -> a.worker.notReady().isEmpty());
        second = new WorkerStack.RunningWorker(config(stack, "survivor"), topics, healthy, s3, ClaimStore.none(), WorkerMetrics.NONE);
        WorkerStack.RunningWorker b = second;
        await("second worker ready").atMost(Duration.ofSeconds(60)).until(() -> b.worker.notReady().isEmpty());
        awaitOnePartitionEach(stack);

        List<GenerationJob> jobs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          jobs.add(WorkerStack.job("loss-batch", "req-" + i, 0, 1));
          jobs.add(WorkerStack.job("loss-batch", "req-" + i, 1, 1));
        }
        WorkerStack.send(stack, topics, jobs);

        await("the first worker's accelerator lost and the worker stopped").atMost(Duration.ofSeconds(60))
            .until(() -> a.died != null);
        assertThat(failing.lost()).isTrue();
        assertThat(a.died).hasMessageContaining("worker cannot go on").rootCause().hasMessageContaining("CUDA failure 999");
        assertThat(a.worker.notReady()).hasValueSatisfying(why -> assertThat(why).contains("accelerator lost"));
        List<String> cutShort = failing.lostJobs();
        assertThat(cutShort).isNotEmpty();

        String bootstrap = stack.connection().bootstrapServers();
        List<RequestResult> results = TopicReader.readUntil(bootstrap, topics.requestResults, 20, v -> false);
        List<ScoredImage> scored = TopicReader.readUntil(bootstrap, topics.imagesScored, jobs.size(), v -> false);
        // Read on a little: nothing more arrives than one per request and one per job.
        assertThat(results).extracting(RequestResult::getRequestId).doesNotHaveDuplicates().hasSize(20);
        assertThat(results).allSatisfy(r -> assertThat(r.getStatus()).as(r.getRequestId()).isEqualTo(RequestStatus.COMPLETED));
        assertThat(scored).extracting(s -> s.getImage().getJob().getJobId().toString()).doesNotHaveDuplicates()
            .containsExactlyInAnyOrderElementsOf(jobs.stream().map(j -> j.getJobId().toString()).toList());
        assertThat(scored).allSatisfy(s -> {
          assertThat(s.getVerdict()).isNotEqualTo(Verdict.FAILED);
          assertThat(s.getImage().getJob().getAttempt()).as("not re-queued").isEqualTo(1);
        });
        // The batch cut short was rendered by the survivor.
        Map<String, String> renderedBy = scored.stream().collect(Collectors.toMap(
            s -> s.getImage().getJob().getJobId().toString(), s -> s.getImage().getWorkerId().toString()));
        assertThat(cutShort).allSatisfy(job -> assertThat(renderedBy.get(job)).as(job).isEqualTo("survivor"));
        assertThat(renderedBy.values()).contains("lossy"); // its first batch was its own, and committed
        // The lost worker reported nothing for the batch it lost.
        Map<String, Long> generatedBy = WorkerStack.readUntil(stack, topics.imagesGenerated, Duration.ofSeconds(30),
                r -> WorkerStack.distinctJobs(r) >= jobs.size()).stream().map(r -> r.value())
            .filter(g -> cutShort.contains(g.getJob().getJobId().toString()))
            .collect(Collectors.groupingBy(g -> g.getWorkerId().toString(), Collectors.counting()));
        assertThat(generatedBy).containsOnlyKeys("survivor");
        assertThat(WorkerStack.readUntil(stack, topics.generationJobsDlq, Duration.ofSeconds(2), r -> true)).isEmpty();
      } finally {
        if (second != null) {
          second.close();
        }
        if (first != null) {
          WorkerStack.RunningWorker a = first;
          assertThatThrownBy(a::close).as("the lost worker ended with its error").isInstanceOf(AssertionError.class);
        }
        scoring.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      }
    }
  }

  /** Waits until the group is stable with both workers holding a partition (cooperative assignment takes two rounds). */
  private static void awaitOnePartitionEach(LocalStack stack) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()))) {
      await("one partition each").atMost(Duration.ofSeconds(60)).until(() -> {
        ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(GROUP)).describedGroups().get(GROUP)
            .get(10, TimeUnit.SECONDS);
        return group.groupState() == GroupState.STABLE && group.members().size() == 2
            && group.members().stream().allMatch(m -> m.assignment().topicPartitions().size() == 1);
      });
    }
  }

  private static WorkerConfig config(LocalStack stack, String workerId) {
    Map<String, String> env = new HashMap<>(WorkerStack.env(stack, PREFIX, GROUP));
    env.put("INKFLOW_WORKER_ID", workerId);
    // A member that left is replaced at once; one that died would be after the session timeout.
    env.put("INKFLOW_KAFKA_CLIENT_SESSION_TIMEOUT_MS", "6000");
    return WorkerConfig.fromEnv(env);
  }
}
