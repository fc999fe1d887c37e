package io.inkflow.streams.rewrite;

import io.inkflow.inference.pack.PackManifest;
import io.inkflow.common.health.StartupCheck;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.streams.common.StreamsMain;
import io.inkflow.streams.common.StreamsService;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs the PE-rewrite stage: config from the environment, exactly-once, clean shutdown on SIGTERM. */
public final class PromptRewriteApp {
  private static final Logger LOG = LoggerFactory.getLogger(PromptRewriteApp.class);

  private PromptRewriteApp() {}

  public static void main(String[] args) throws InterruptedException {
    PromptRewriteConfig config = PromptRewriteConfig.fromEnv(System.getenv());
    LOG.info("starting PE rewrite: {}", config);
    PackPlanner planner = PackPlanner.open(config.packDir(), config.limits());
    PackManifest pack = planner.pack();
    RestSchemaRegistryClient registry = new RestSchemaRegistryClient(config.streams().registry());
    Topics topics = Topics.create(registry, config.streams().topicPrefix(), config.streams().topics(), true);
    Topology topology = PromptRewriteTopology.build(topics, planner.planner(), config.idempotencyRetention());
    Properties props = config.streams().streamsProperties(config.applicationId());
    List<StartupCheck> checks = new ArrayList<>(config.streams().startupChecks(PromptRewriteTopology.topicsUsed(topics), registry));
    checks.add(config.streams().partitionCheck(topics, StreamsMain.sourceTopics(topology, topics)));
    StreamsMain.run("pe-rewrite", new StreamsService("pe-rewrite", topology, props,
        "PE rewrite running with pack " + pack.id() + " " + pack.version(), config.http(),
        checks, List.of(registry, planner)));
  }
}
