package io.inkflow.workers.generate;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.common.health.ServiceHealth;
import io.inkflow.common.health.StartupCheck;
import io.inkflow.common.health.StartupGate;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.schemas.StartupChecks;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3ObjectStore;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Runs one generation worker (one per GPU; scale out by starting more in the same consumer group).
 * Configured from the environment ({@link WorkerConfig}); SIGTERM drains: held jobs are left for the
 * next owner, started ones finish and are committed, then the process exits.
 */
public final class GenerationWorkerMain {
  private static final Logger LOG = LoggerFactory.getLogger(GenerationWorkerMain.class);

  /**
   * What SIGTERM's hook waits beyond the drain timeout before the process exits anyway: closing the
   * consumer, the producer's last flush and the model's sessions after the drain.
   */
  public static final Duration EXIT_MARGIN = Duration.ofSeconds(30);

  private GenerationWorkerMain() {}

  public static void main(String[] args) throws Exception {
    WorkerConfig config = WorkerConfig.fromEnv(System.getenv());
    TopicSettings topicSettings = TopicSettings.fromEnv(System.getenv());
    LOG.info("starting generation worker: {}, {}", config, topicSettings);
    SessionOptionsConfig options = (config.provider() == ExecutionProvider.CUDA
        ? SessionOptionsConfig.cuda(config.deviceId()) : SessionOptionsConfig.cpu()).withIntraOpThreads(config.intraOpThreads());
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean stopRequested = new AtomicBoolean();
    AtomicReference<GenerationWorker> running = new AtomicReference<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("shutdown requested: draining");
      stopRequested.set(true);
      GenerationWorker w = running.get();
      if (w != null) {
        w.shutdown();
      }
      try {
        Duration limit = config.drainTimeout().plus(EXIT_MARGIN);
        if (!stopped.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("drain did not finish in {}; exiting anyway", limit);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "worker-shutdown"));
    ServiceHealth health = new ServiceHealth();
    // Served first, so that /healthz answers while the pack loads and /readyz says why the worker is not ready yet.
    try (PrometheusEndpoint metrics = PrometheusEndpoint.start(config.http(), config.workerId(), health);
         RestSchemaRegistryClient registry = new RestSchemaRegistryClient(registryConfig(config.registryUrl(), System.getenv()));
         PipelineGenerator generator = PipelineGenerator.open(config.packDir(), options, config.png().encoder());
         S3Client s3 = S3Clients.create(config.s3());
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps(config), new ByteArraySerializer(), new ByteArraySerializer());
         KafkaClientMetrics producerMetrics = new KafkaClientMetrics(producer)) {
      LOG.info("pack {}@{} loaded on {}", generator.packId(), generator.packVersion(), generator.pipeline().executionProvider());
      producerMetrics.bindTo(metrics.registry());
      Topics topics = Topics.create(registry, config.topicPrefix(), topicSettings, true);
      StartupGate gate = new StartupGate("worker " + config.workerId(), startupChecks(config, topics, registry), health);
      if (!gate.await(stopRequested::get)) {
        return;
      }
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerProps(config), new ByteArrayDeserializer(), new ByteArrayDeserializer());
      ClaimStore claims = config.claimDir() == null ? ClaimStore.none() : new FileClaimStore(config.claimDir());
      GenerationWorker worker = new GenerationWorker(config, consumer, producer, topics, generator,
          new S3ObjectStore(s3, config.s3().bucket()), claims, metrics.workerMetrics());
      health.readyWhen(worker::notReady);
      running.set(worker);
      if (stopRequested.get()) {
        worker.shutdown();
      }
      try (KafkaClientMetrics consumerMetrics = new KafkaClientMetrics(consumer)) {
        consumerMetrics.bindTo(metrics.registry());
        worker.run();
      } finally {
        LOG.info("generation worker {} stopped", config.workerId());
      }
    } finally {
      stopped.countDown();
    }
  }

  /**
   * What must hold before the worker joins its group: its topics exist, {@code generation-jobs} has the partition
   * count of the deployment's settings (the count caps how many workers, GPUs, the group can use, and it is fixed
   * at creation: a mismatch keeps the worker unready, saying so, instead of letting it exit), and the registry answers.
   */
  public static List<StartupCheck> startupChecks(WorkerConfig config, Topics topics, RestSchemaRegistryClient registry) {
    Map<String, Object> admin = new HashMap<>(config.clientOverrides());
    admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    return List.of(
        StartupChecks.topics(admin, List.of(topics.generationJobs, topics.generationJobsDlq, topics.imagesGenerated), null),
        StartupChecks.partitions(admin, topics, List.of(topics.generationJobs.name())),
        StartupChecks.registry(registry));
  }

  /**
   * Registry client settings: the URL plus every {@code INKFLOW_REGISTRY_CLIENT_X_Y=v} as {@code x.y=v}
   * (basic auth, timeouts), read as the streams apps read them.
   */
  public static RegistryClientConfig registryConfig(String url, Map<String, String> env) {
    Map<String, Object> props = new HashMap<>(EnvConfig.prefixed(env, SharedConfig.REGISTRY_CLIENT_PREFIX));
    props.put(RegistryClientConfig.URL, url);
    return RegistryClientConfig.fromMap(props);
  }

  /** Consumer settings: committed jobs only, manual commits, cooperative assignment, small polls. */
  public static Map<String, Object> consumerProps(WorkerConfig config) {
    Map<String, Object> p = new HashMap<>();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.workerId());
    // The PE stream writes jobs in exactly-once transactions: a job of an aborted one is written again by
    // the retry, so reading it too would render that job twice (seen when a broker fails mid-transaction).
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // The worker holds at most maxInFlightJobs; a poll never needs more than a batch's worth.
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(config.maxBatchSize(), 16));
    // Cooperative: a rebalance revokes only the partitions that move, so the others keep rendering.
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    p.putAll(config.clientOverrides());
    return p;
  }

  /** Producer settings: acks=all, idempotent. */
  public static Map<String, Object> producerProps(WorkerConfig config) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, config.workerId() + "-producer");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 2);
    // One send waits at most this long before the worker's own retry takes over.
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.putAll(config.clientOverrides());
    return p;
  }
}
