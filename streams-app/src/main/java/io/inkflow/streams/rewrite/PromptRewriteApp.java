package io.inkflow.streams.rewrite;

import io.inkflow.inference.pack.PackManifest;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.streams.common.StreamsMain;
import io.inkflow.streams.common.StreamsService;
import java.util.List;
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
    Topics topics = Topics.create(registry, config.streams().topicPrefix(), Topics.DEFAULT_PARTITIONS, true);
    StreamsMain.run("pe-rewrite", new StreamsService("pe-rewrite",
        PromptRewriteTopology.build(topics, planner.planner(), config.idempotencyRetention()),
        config.streams().streamsProperties(config.applicationId()),
        "PE rewrite running with pack " + pack.id() + " " + pack.version(), config.http(),
        config.streams().startupChecks(PromptRewriteTopology.topicsUsed(topics), registry), List.of(registry, planner)));
  }
}
