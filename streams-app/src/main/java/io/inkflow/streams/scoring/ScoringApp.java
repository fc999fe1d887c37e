package io.inkflow.streams.scoring;

import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3ObjectStore;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/** Runs the reward-scoring stage: config from the environment, exactly-once, clean shutdown on SIGTERM. */
public final class ScoringApp {
  private static final Logger log = LoggerFactory.getLogger(ScoringApp.class);

  private ScoringApp() {}

  public static void main(String[] args) throws InterruptedException {
    ScoringConfig config = ScoringConfig.fromEnv(System.getenv());
    log.info("starting reward scoring: {}", config);
    RewardModel model = RewardModel.open(config.rewardPackDir(),
        config.cudaDevice() < 0 ? SessionOptionsConfig.cpu() : SessionOptionsConfig.cuda(config.cudaDevice()));
    RestSchemaRegistryClient registry = new RestSchemaRegistryClient(config.streams().registry());
    S3Client s3 = S3Clients.create(config.s3());
    Topics topics = Topics.create(registry, config.streams().topicPrefix(), Topics.DEFAULT_PARTITIONS, true);
    Properties props = config.streams().streamsProperties(config.applicationId());
    // images-generated is read as raw bytes and dead-lettered by the processor; an unreadable record on
    // batches or request-results (written by inkflow's own stages) is logged with its coordinates and skipped.
    props.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    KafkaStreams streams = new KafkaStreams(
        ScoringTopology.build(topics, config.settings(), new S3ObjectStore(s3, config.s3().bucket()),
            ImageScorer.of(model), config.policy(model.manifest())),
        props);
    // A failed task (S3 or registry down past its retries, a reward-pack error) restarts its thread; EOS replays.
    streams.setUncaughtExceptionHandler(e -> {
      log.error("stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping reward scoring");
      // Leave the group so the remaining instances take over at once instead of after the session timeout.
      streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
          .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      model.close();
      s3.close();
      registry.close();
      stopped.countDown();
    }, "scoring-shutdown"));
    streams.start();
    log.info("reward scoring running with pack {} {} on {}", model.manifest().id(), model.manifest().version(), model.executionProvider());
    stopped.await();
  }
}
