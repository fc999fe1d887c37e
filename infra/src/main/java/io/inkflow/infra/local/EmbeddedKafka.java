package io.inkflow.infra.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka cluster in KRaft mode (combined broker + controller) running in this JVM,
 * listening on 127.0.0.1 only. The data directory is formatted on first start and reused after, so a
 * configured directory keeps topics, offsets and transactions across restarts.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Map<String, String> props;
  private final int brokerPort;
  private final int controllerPort;
  private final Path logDir;
  /** The running node; null while paused or after close. */
  private KafkaRaftServer server;

  private EmbeddedKafka(Map<String, String> props, int brokerPort, int controllerPort, Path logDir) {
    this.props = props;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
    this.logDir = logDir;
  }

  /**
   * Formats {@code dataDir} if needed and starts the node; returns once the broker answers requests.
   *
   * @param brokerPort client port, 0 for a free one
   * @param controllerPort KRaft controller port, 0 for a free one
   */
  public static EmbeddedKafka start(Path dataDir, int brokerPort, int controllerPort, Duration timeout) {
    int bport = Ports.orFree(brokerPort);
    int cport = Ports.orFree(controllerPort);
    Path logDir = dataDir.resolve("kafka");
    Map<String, String> props = serverProperties(logDir, bport, cport);
    try {
      Files.createDirectories(logDir);
      format(dataDir, logDir, props);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare Kafka data directory " + logDir, e);
    }
    EmbeddedKafka kafka = new EmbeddedKafka(props, bport, cport, logDir);
    kafka.boot(timeout);
    return kafka;
  }

  private synchronized void boot(Duration timeout) {
    server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
    try {
      server.startup();
      awaitReady(timeout);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Simulates a broker outage: shuts the node down cleanly and closes its ports; the log directory
   * (topics, offsets, transactions) stays. Clients see the broker gone until {@link #resume}.
   */
  public synchronized void pause() {
    if (server != null) {
      close();
      LOG.info("Kafka on {} paused", bootstrapServers());
    }
  }

  /** Starts the node again on the same ports and log directory; returns once the broker answers. */
  public synchronized void resume(Duration timeout) {
    if (server == null) {
      boot(timeout);
      LOG.info("Kafka on {} resumed", bootstrapServers());
    }
  }

  /** Whether the node is running (not paused or closed). */
  public synchronized boolean running() {
    return server != null;
  }

  /**
   * The settings of the local single node: combined broker and controller roles, node 1 voting alone,
   * one replica of every internal topic, small thread pools and buffers for a small machine. A cluster
   * of several nodes starts from these and replaces the node id, listeners, voters and replication.
   */
  public static Map<String, String> serverProperties(Path logDir, int brokerPort, int controllerPort) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.put("log.dirs", logDir.toAbsolutePath().toString());
    // One node: every internal topic has one replica.
    p.put("offsets.topic.replication.factor", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    // Fewer internal partitions: faster first start and less memory on a small machine.
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    p.put("num.partitions", "1");
    p.put("num.network.threads", "2");
    p.put("num.io.threads", "4");
    p.put("background.threads", "4");
    p.put("num.recovery.threads.per.data.dir", "1");
    // The log cleaner's default 128 MiB dedupe buffer dominates RSS; 2 MiB serves the compacted topics here.
    p.put("log.cleaner.dedupe.buffer.size", "2097152");
    p.put("log.cleaner.threads", "1");
    // Exactly-once Streams commit often on a dev box; keep transactional state compact.
    p.put("transaction.max.timeout.ms", "900000");
    return p;
  }

  private static void format(Path dataDir, Path logDir, Map<String, String> props) throws IOException {
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return;
    }
    format(dataDir.resolve("kraft-server.properties"), props, Uuid.randomUuid().toString());
  }

  /**
   * Writes {@code props} to {@code config} and formats the node's log directory ({@code log.dirs}) for
   * cluster {@code clusterId} unless it is formatted already; every node of one cluster gets the same id.
   */
  public static void format(Path config, Map<String, String> props, String clusterId) throws IOException {
    Properties file = new Properties();
    file.putAll(props);
    try (var out = Files.newOutputStream(config)) {
      file.store(out, "generated by inkflow local stack");
    }
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    int rc;
    try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      rc = StorageTool.execute(new String[] {
          "format", "--config", config.toString(), "--cluster-id", clusterId, "--ignore-formatted"}, ps);
    }
    String logDir = props.get("log.dirs");
    if (rc != 0) {
      throw new IllegalStateException("formatting Kafka storage in " + logDir + " failed (exit " + rc + "): "
          + captured.toString(StandardCharsets.UTF_8));
    }
    LOG.debug("formatted {}: {}", logDir, captured.toString(StandardCharsets.UTF_8).trim());
  }

  private void awaitReady(Duration timeout) {
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 10_000)))) {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for Kafka on " + bootstrapServers(), e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("Kafka on " + bootstrapServers() + " not ready within " + timeout.toMillis() + " ms", e);
    }
  }

  /** {@code 127.0.0.1:port} of the broker listener. */
  public String bootstrapServers() {
    return "127.0.0.1:" + brokerPort;
  }

  public int brokerPort() {
    return brokerPort;
  }

  public int controllerPort() {
    return controllerPort;
  }

  public Path logDir() {
    return logDir;
  }

  @Override
  public synchronized void close() {
    if (server == null) {
      return;
    }
    try {
      server.shutdown();
      server.awaitShutdown();
    } finally {
      server = null;
    }
  }
}
