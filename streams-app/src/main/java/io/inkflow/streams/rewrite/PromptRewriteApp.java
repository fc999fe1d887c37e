package io.inkflow.streams.rewrite;

import io.inkflow.inference.pack.PackManifest;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the PE-rewrite stage: config from the environment, exactly-once, clean shutdown on SIGTERM. */
public final class PromptRewriteApp {
  private static final Logger log = LoggerFactory.getLogger(PromptRewriteApp.class);

  private PromptRewriteApp() {}

  public static void main(String[] args) throws InterruptedException {
    PromptRewriteConfig config = PromptRewriteConfig.fromEnv(System.getenv());
    log.info("starting PE rewrite: {}", config);
    PackPlanner planner = PackPlanner.open(config.packDir(), config.limits());
    PackManifest pack = planner.pack();
    RestSchemaRegistryClient registry = new RestSchemaRegistryClient(config.streams().registry());
    Topics topics = Topics.create(registry, config.streams().topicPrefix(), Topics.DEFAULT_PARTITIONS, true);
    KafkaStreams streams = new KafkaStreams(
        PromptRewriteTopology.build(topics, planner.planner(), config.idempotencyRetention()),
        config.streams().streamsProperties(config.applicationId()));
    // A failed task (e.g. the registry down past its retry deadline) restarts its thread; EOS replays.
    streams.setUncaughtExceptionHandler(e -> {
      log.error("stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping PE rewrite");
      // Leave the group so the remaining instances take over at once instead of after the session timeout.
      streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
          .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      planner.close();
      registry.close();
      stopped.countDown();
    }, "pe-rewrite-shutdown"));
    streams.start();
    log.info("PE rewrite running with pack {} {}", pack.id(), pack.version());
    stopped.await();
  }
}
