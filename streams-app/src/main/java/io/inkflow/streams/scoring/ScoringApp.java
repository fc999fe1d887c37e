package io.inkflow.streams.scoring;

import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.common.health.StartupCheck;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.streams.common.StreamsMain;
import io.inkflow.streams.common.StreamsService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/** Runs the reward-scoring stage: config from the environment, exactly-once, clean shutdown on SIGTERM. */
public final class ScoringApp {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringApp.class);

  private ScoringApp() {}

  public static void main(String[] args) throws InterruptedException {
    ScoringConfig config = ScoringConfig.fromEnv(System.getenv());
    LOG.info("starting reward scoring: {}", config);
    RewardModel model = RewardModel.open(config.rewardPackDir(),
        config.cudaDevice() < 0 ? SessionOptionsConfig.cpu() : SessionOptionsConfig.cuda(config.cudaDevice()),
        Optional.ofNullable(config.ocrModelsDir()));
    RestSchemaRegistryClient registry = new RestSchemaRegistryClient(config.streams().registry());
    S3Client s3 = S3Clients.create(config.s3());
    Topics topics = Topics.create(registry, config.streams().topicPrefix(), config.streams().topics(), true);
    Properties props = ScoringTopology.withScoringDefaults(config.streams().streamsProperties(config.applicationId()));
    // images-generated is read as raw bytes and dead-lettered by the processor; an unreadable record on
    // batches or request-results (written by inkflow's own stages) is logged with its coordinates and skipped.
    props.putIfAbsent(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
    // A failed task (S3 or registry down past its retries, a reward-pack error) restarts its thread; EOS replays.
    Topology topology = ScoringTopology.build(topics, config.settings(), new S3ObjectStore(s3, config.s3().bucket()),
        ImageScorer.of(model), config.policy(model.manifest()));
    List<StartupCheck> checks = new ArrayList<>(config.streams().startupChecks(ScoringTopology.topicsUsed(topics), registry));
    checks.add(config.streams().partitionCheck(topics, StreamsMain.sourceTopics(topology, topics)));
    StreamsMain.run("scoring", new StreamsService("scoring", topology, props,
        "reward scoring running with pack " + model.manifest().id() + " " + model.manifest().version() + " on " + model.executionProvider(),
        config.http(), checks, List.of(registry, s3, model)));
  }
}
