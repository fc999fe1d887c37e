package io.inkflow.infra.local;

import io.inkflow.infra.registry.CompatibilityLevel;
import io.inkflow.infra.registry.EmbeddedSchemaRegistry;
import io.inkflow.schemas.TopicAdmin;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidMetadataException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole local stack in one JVM: a KRaft Kafka node, the schema registry and an S3 server, with
 * every catalogue topic and the images bucket created. Closing stops them in reverse order and, for a
 * temporary data directory, deletes it. {@link #startOn} runs the registry and S3 server against a
 * cluster that runs elsewhere (several brokers in their own processes) instead of the embedded node.
 */
public final class LocalStack implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);

  private final LocalStackConfig config;
  private final Path dataDir;
  private final boolean ownsDataDir;
  /** Bootstrap servers of a cluster this stack does not run; null for the embedded node. */
  private final String externalBootstrap;
  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  private EmbeddedKafka kafka;
  private EmbeddedSchemaRegistry registry;
  private EmbeddedS3 s3;
  private RestSchemaRegistryClient registryClient;
  private Topics topics;
  private long startMillis;

  private LocalStack(LocalStackConfig config, Path dataDir, boolean ownsDataDir, String externalBootstrap) {
    this.config = config;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.externalBootstrap = externalBootstrap;
  }

  /** Starts everything; on any failure stops what already started and rethrows. */
  public static LocalStack start(LocalStackConfig config) {
    return start(config, null);
  }

  /**
   * Starts the registry and S3 server and creates the catalogue topics on the running cluster at
   * {@code bootstrapServers} (sized by {@code config.topics()}, replication factor included); no
   * embedded broker is started and {@link #kafka()} is null. On any failure stops what already started.
   */
  public static LocalStack startOn(LocalStackConfig config, String bootstrapServers) {
    return start(config, Objects.requireNonNull(bootstrapServers, "bootstrapServers"));
  }

  private static LocalStack start(LocalStackConfig config, String externalBootstrap) {
    boolean freePorts = config.kafkaPort() == 0 && config.controllerPort() == 0 && config.registryPort() == 0 && config.s3Port() == 0;
    for (int attempt = 1; ; attempt++) {
      try {
        return startOnce(config, externalBootstrap);
      } catch (RuntimeException e) {
        // A port found free can be taken by another process before a server binds it.
        if (!freePorts || config.dataDir() != null || attempt >= 3 || !portTaken(e)) {
          throw e;
        }
        LOG.warn("a free port was taken before the local stack bound it ({}); starting again on new ports", e.toString());
      }
    }
  }

  static boolean portTaken(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
      for (Throwable s : t.getSuppressed()) {
        if (portTaken(s)) {
          return true;
        }
      }
    }
    return false;
  }

  private static LocalStack startOnce(LocalStackConfig config, String externalBootstrap) {
    long t0 = System.nanoTime();
    Path dir;
    boolean owns = config.dataDir() == null;
    try {
      dir = owns ? Files.createTempDirectory("inkflow-local-") : Files.createDirectories(config.dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create local stack data directory", e);
    }
    LocalStack stack = new LocalStack(config, dir, owns, externalBootstrap);
    try {
      stack.startAll();
    } catch (Exception e) {
      stack.close();
      throw e instanceof RuntimeException re ? re : new IllegalStateException("local stack failed to start: " + e, e);
    }
    stack.startMillis = (System.nanoTime() - t0) / 1_000_000;
    LOG.info("local stack up in {} ms: {}", stack.startMillis, stack.connection());
    return stack;
  }

  private void startAll() throws Exception {
    // The registry and S3 server start on another thread while the broker boots: start-up is mostly
    // the broker waiting on itself, so this hides their start time.
    CompletableFuture<EmbeddedSchemaRegistry> registryStart = CompletableFuture.supplyAsync(() -> {
      try {
        return EmbeddedSchemaRegistry.start(config.registryPort(), CompatibilityLevel.BACKWARD, dataDir.resolve("registry/schemas.jsonl"));
      } catch (IOException e) {
        throw new UncheckedIOException("schema registry failed to start on port " + config.registryPort(), e);
      }
    });
    CompletableFuture<EmbeddedS3> s3Start = CompletableFuture.supplyAsync(() -> {
      try {
        EmbeddedS3 server = EmbeddedS3.start(config.s3Port(), config.s3Storage(), dataDir.resolve("s3"), config.s3AccessKey(), config.s3SecretKey());
        server.createBucket(config.bucket());
        return server;
      } catch (Exception e) {
        throw new IllegalStateException("S3 server failed to start on port " + config.s3Port() + ": " + e.getMessage(), e);
      }
    });
    try {
      if (externalBootstrap == null) {
        kafka = EmbeddedKafka.start(dataDir, config.kafkaPort(), config.controllerPort(), config.startTimeout());
        started.push(kafka);
      }
    } finally {
      // Whatever happened to the broker, own what the other thread started so close() stops it.
      registry = join(registryStart);
      s3 = join(s3Start);
    }
    if (registry == null || s3 == null) {
      throw new IllegalStateException("local stack failed to start", firstFailure(registryStart, s3Start));
    }
    registryClient = new RestSchemaRegistryClient(RegistryClientConfig.of(registry.url()));
    started.push(registryClient);
    topics = Topics.create(registryClient, config.topicPrefix(), config.topics(), true);
    createTopics();
  }

  private <T extends AutoCloseable> T join(CompletableFuture<T> future) {
    try {
      T value = future.join();
      started.push(value);
      return value;
    } catch (CompletionException e) {
      return null;
    }
  }

  private static Throwable firstFailure(CompletableFuture<?>... futures) {
    for (CompletableFuture<?> f : futures) {
      try {
        f.join();
      } catch (CompletionException e) {
        return e.getCause();
      }
    }
    return null;
  }

  private void createTopics() throws InterruptedException, ExecutionException, TimeoutException {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      // Existing topics (a kept data directory) are checked, never altered: partitions are fixed at creation.
      List<String> created = TopicAdmin.ensure(admin, topics, Duration.ofSeconds(30));
      if (!created.isEmpty()) {
        awaitLeaders(admin, created, Duration.ofSeconds(30));
      }
      LOG.info("topics ready: {} created, {} existed", created.size(), topics.all().size() - created.size());
    }
  }

  /**
   * Waits until the broker's metadata names a leader for every partition of {@code topics}. A producer
   * that writes to a topic created a moment ago can otherwise see its first batch refused as
   * NOT_LEADER while later batches land, and the idempotent producer then retries that first batch
   * into an out-of-order-sequence loop.
   */
  public static void awaitLeaders(Admin admin, List<String> topics, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        boolean ready = described.values().stream()
            .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
        if (ready) {
          // The metadata names a leader before that leader serves the partition: ask the leader itself.
          Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
          described.values().forEach(d -> d.partitions().forEach(p -> latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
          admin.listOffsets(latest).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          return;
        }
      } catch (ExecutionException e) {
        // A topic created a moment ago may not be in the metadata yet, or its leader not serving yet.
        if (!(e.getCause() instanceof InvalidMetadataException)) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("partitions of " + topics + " have no leader after " + timeout.toMillis() + " ms");
      }
      Thread.sleep(20); // metadata propagates within milliseconds on one node; poll gently
    }
  }

  private String bootstrapServers() {
    return externalBootstrap != null ? externalBootstrap : kafka.bootstrapServers();
  }

  /** Where clients connect. */
  public ConnectionSettings connection() {
    return new ConnectionSettings(bootstrapServers(), registry.url(), s3.endpoint(), config.bucket(),
        config.s3AccessKey(), config.s3SecretKey());
  }

  /** The catalogue the stack created, with serdes on the stack's registry. */
  public Topics topics() {
    return topics;
  }

  /** All ports the stack listens on (the registry's and S3's alone when the cluster runs elsewhere). */
  public List<Integer> ports() {
    return kafka == null ? List.of(registry.port(), s3.port()) : List.of(kafka.brokerPort(), kafka.controllerPort(), registry.port(), s3.port());
  }

  public long startMillis() {
    return startMillis;
  }

  public Path dataDir() {
    return dataDir;
  }

  public EmbeddedSchemaRegistry registry() {
    return registry;
  }

  public EmbeddedS3 s3() {
    return s3;
  }

  /** The embedded node; null when the stack was started {@linkplain #startOn on another cluster}. */
  public EmbeddedKafka kafka() {
    return kafka;
  }

  @Override
  public void close() {
    RuntimeException failure = null;
    while (!started.isEmpty()) {
      AutoCloseable c = started.pop();
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("stopping {} failed", c.getClass().getSimpleName(), e);
        if (failure == null) {
          failure = new IllegalStateException("stopping the local stack failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (ownsDataDir) {
      deleteRecursively(dataDir);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", dir, e.toString());
    }
  }
}
