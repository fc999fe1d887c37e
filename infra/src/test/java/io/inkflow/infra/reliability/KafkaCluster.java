package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.infra.demo.ServiceProcess;
import io.inkflow.infra.local.EmbeddedKafka;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeLogDirsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kafka cluster of {@code n} KRaft nodes, each a real Kafka server ({@code kafka.Kafka}) in a JVM of
 * its own inside its own network namespace of a {@link BrokerNetwork}: combined broker and controller
 * roles, all {@code n} voting; every topic, Kafka's internal ones included, with {@code n} replicas and
 * {@code min.insync.replicas} = {@code minIsr}. A node can be killed (SIGKILL) and started again on its
 * log directory. Settings otherwise are the local stack's ({@link EmbeddedKafka#serverProperties}) and
 * Kafka's defaults, failure detection included (broker session 9 s, controller election 1 s).
 */
final class KafkaCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaCluster.class);
  static final int PORT = 9092;
  static final int CONTROLLER_PORT = 9093;
  private static final Duration CALL = Duration.ofSeconds(10);

  private final BrokerNetwork net;
  private final int nodes;
  private final Path dir;
  private final Path logs;
  private final Map<Integer, ServiceProcess> running = new TreeMap<>();
  private final Admin admin;

  private KafkaCluster(BrokerNetwork net, int nodes, Path dir) throws IOException {
    this.net = net;
    this.nodes = nodes;
    this.dir = dir;
    this.logs = Files.createDirectories(dir.resolve("logs"));
    this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(net, nodes),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) CALL.toMillis(),
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) CALL.toMillis()));
  }

  /** Formats every node's log directory under {@code dir}, starts them all and waits until all are registered. */
  static KafkaCluster start(BrokerNetwork net, int nodes, int minIsr, Path dir, Duration timeout) throws IOException {
    KafkaCluster cluster = new KafkaCluster(net, nodes, dir);
    try {
      String clusterId = Uuid.randomUuid().toString();
      String voters = IntStream.rangeClosed(1, nodes).mapToObj(n -> n + "@" + net.address(n) + ":" + CONTROLLER_PORT)
          .collect(Collectors.joining(","));
      for (int n = 1; n <= nodes; n++) {
        Path logDir = Files.createDirectories(dir.resolve("node-" + n));
        Map<String, String> p = EmbeddedKafka.serverProperties(logDir, PORT, CONTROLLER_PORT);
        p.put("node.id", Integer.toString(n));
        p.put("controller.quorum.voters", voters);
        p.put("listeners", "PLAINTEXT://" + net.address(n) + ":" + PORT + ",CONTROLLER://" + net.address(n) + ":" + CONTROLLER_PORT);
        p.put("advertised.listeners", "PLAINTEXT://" + net.address(n) + ":" + PORT);
        String replicas = Integer.toString(nodes);
        String isr = Integer.toString(minIsr);
        p.put("default.replication.factor", replicas);
        p.put("min.insync.replicas", isr);
        p.put("offsets.topic.replication.factor", replicas);
        p.put("transaction.state.log.replication.factor", replicas);
        p.put("transaction.state.log.min.isr", isr);
        p.put("share.coordinator.state.topic.replication.factor", replicas);
        p.put("share.coordinator.state.topic.min.isr", isr);
        p.put("num.io.threads", "2");
        p.put("background.threads", "2");
        EmbeddedKafka.format(config(dir, n), p, clusterId);
      }
      for (int n = 1; n <= nodes; n++) {
        cluster.launch(n);
      }
      cluster.awaitRegistered(IntStream.rangeClosed(1, nodes).boxed().collect(Collectors.toSet()), timeout);
    } catch (IOException | RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private static Path config(Path dir, int node) {
    return dir.resolve("node-" + node + ".properties");
  }

  static String bootstrap(BrokerNetwork net, int nodes) {
    return IntStream.rangeClosed(1, nodes).mapToObj(n -> net.address(n) + ":" + PORT).collect(Collectors.joining(","));
  }

  String bootstrap() {
    return bootstrap(net, nodes);
  }

  Admin admin() {
    return admin;
  }

  Path log(int node) {
    return logs.resolve("broker-" + node + ".log");
  }

  /** Starts node {@code node} on its log directory; its log is appended to. */
  void launch(int node) throws IOException {
    if (running.containsKey(node) && running.get(node).alive()) {
      throw new IllegalStateException("broker " + node + " is already running");
    }
    // Small heap and the client compiler only: three brokers share a small machine with the pipeline.
    List<String> jvm = List.of("-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError");
    List<String> cmd = net.inside(node, ServiceProcess.javaCommand("kafka.Kafka", jvm, List.of(config(dir, node).toString())));
    running.put(node, ServiceProcess.start("broker-" + node, cmd, Map.of(), log(node), true));
    LOG.info("broker {} started at {} (pid {})", node, net.address(node), running.get(node).pid());
  }

  /** SIGKILL of node {@code node}'s JVM; asserts it was alive until then and died of the signal. */
  void kill(int node) throws InterruptedException {
    ServiceProcess p = running.get(node);
    assertThat(p.alive()).as("broker " + node + " alive before the kill").isTrue();
    p.kill();
    assertThat(p.exitValue()).as("broker " + node + " exit status after SIGKILL").isEqualTo(137);
  }

  /** Fails unless every node that was started and not killed on purpose still runs. */
  void assertAlive(Collection<Integer> which) {
    for (int n : which) {
      assertThat(running.get(n).alive()).as("broker " + n + " running; its log: " + log(n)).isTrue();
    }
  }

  /** Waits until the controller lists {@code which} as registered, unfenced brokers. */
  void awaitRegistered(Set<Integer> which, Duration timeout) {
    await("brokers " + which + " registered; logs in " + logs).atMost(timeout).pollInterval(Duration.ofMillis(500))
        .ignoreExceptions().until(() -> liveBrokers().containsAll(which));
  }

  /**
   * Waits until node {@code node} answers a request sent to it (DescribeLogDirs), which a restarted
   * node does once it serves again; returns when it did ({@link System#nanoTime}).
   */
  long awaitAnswering(int node, Duration timeout) {
    await("broker " + node + " answers; its log: " + log(node)).atMost(timeout).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().until(() -> {
          assertAlive(List.of(node));
          admin.describeLogDirs(List.of(node), new DescribeLogDirsOptions().timeoutMs(2000)).allDescriptions()
              .get(5, TimeUnit.SECONDS);
          return true;
        });
    return System.nanoTime();
  }

  /** The brokers the cluster's metadata lists now (registered and not fenced). */
  Set<Integer> liveBrokers() throws ExecutionException, InterruptedException, TimeoutException {
    return liveBrokers(CALL);
  }

  Set<Integer> liveBrokers(Duration timeout) throws ExecutionException, InterruptedException, TimeoutException {
    return admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).nodes()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS).stream().map(Node::id).collect(Collectors.toSet());
  }

  /** The node leading the metadata quorum (the active controller), or -1 while there is none. */
  int activeController() throws ExecutionException, InterruptedException, TimeoutException {
    return admin.describeMetadataQuorum().quorumInfo().get(CALL.toMillis(), TimeUnit.MILLISECONDS).leaderId();
  }

  /** Every partition of every topic, Kafka's internal ones included. */
  List<TopicPartitionInfo> partitions() throws ExecutionException, InterruptedException, TimeoutException {
    return partitions(CALL);
  }

  List<TopicPartitionInfo> partitions(Duration timeout) throws ExecutionException, InterruptedException, TimeoutException {
    int ms = (int) timeout.toMillis();
    Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true).timeoutMs(ms)).names().get(ms, TimeUnit.MILLISECONDS);
    Map<String, TopicDescription> described = admin.describeTopics(names, new DescribeTopicsOptions().timeoutMs(ms)).allTopicNames()
        .get(ms, TimeUnit.MILLISECONDS);
    List<TopicPartitionInfo> out = new ArrayList<>();
    described.values().forEach(d -> out.addAll(d.partitions()));
    return out;
  }

  /** Whether every partition of every topic has a leader and all its replicas in sync. */
  boolean fullyReplicated() throws ExecutionException, InterruptedException, TimeoutException {
    return partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty() && p.isr().size() == p.replicas().size());
  }

  /** Partitions led by each node, most first; nodes leading none are left out. */
  Map<Integer, Long> leaderCounts() throws ExecutionException, InterruptedException, TimeoutException {
    return partitions().stream().filter(p -> p.leader() != null && !p.leader().isEmpty())
        .collect(Collectors.groupingBy(p -> p.leader().id(), TreeMap::new, Collectors.counting()));
  }

  /** SIGKILLs every node still running (the log directories are discarded with the test's folder). */
  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
    for (ServiceProcess p : running.values()) {
      if (p.alive()) {
        try {
          p.kill();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
