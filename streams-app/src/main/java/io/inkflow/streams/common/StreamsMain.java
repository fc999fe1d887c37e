package io.inkflow.streams.common;

import io.inkflow.schemas.TopicAdmin;
import io.inkflow.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a streams app runs: start the topology, replace a failed stream thread (a task that failed
 * on an outage restarts and exactly-once replays it), and on SIGTERM leave the group, close with a
 * timeout, then close the app's resources in reverse order.
 */
public final class StreamsMain {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsMain.class);
  /** How long a close waits for in-flight work before giving up. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  /** How long the start-up check of the source topics' partition counts waits for the broker. */
  private static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofSeconds(30);

  private StreamsMain() {}

  /**
   * Runs until the JVM is asked to stop, after checking the partition counts of the catalogue topics the
   * topology reads ({@link #checkSourceTopics}).
   *
   * @param name the app's name, for logs and the shutdown thread
   * @param topics the deployment's catalogue, whose partition counts the existing source topics must have
   * @param resources what the app opened for the topology (models, clients), closed after the streams, last first
   */
  public static void run(String name, Topology topology, Topics topics, Properties props, String runningMessage,
      List<AutoCloseable> resources) throws InterruptedException {
    checkSourceTopics(topology, topics, props);
    KafkaStreams streams = new KafkaStreams(topology, props);
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("{}: stream thread failed; replacing it", name, e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping {}", name);
      // Leave the group so the remaining instances take over at once instead of after the session timeout.
      streams.close(CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      List<AutoCloseable> reversed = new ArrayList<>(resources);
      Collections.reverse(reversed);
      for (AutoCloseable r : reversed) {
        try {
          r.close();
        } catch (Exception e) {
          LOG.warn("{}: closing {} failed: {}", name, r, e.toString());
        }
      }
      stopped.countDown();
    }, name + "-shutdown"));
    streams.start();
    LOG.info("{}", runningMessage);
    stopped.await();
  }

  /** The catalogue topics {@code topology}'s sources read (internal repartition topics left out). */
  public static Set<String> sourceTopics(Topology topology, Topics topics) {
    Set<String> out = new TreeSet<>();
    sourceTopicsBySubtopology(topology, topics).forEach(out::addAll);
    return out;
  }

  /**
   * The catalogue topics each sub-topology reads, in sub-topology order: two or more in one set must be
   * co-partitioned ({@link Topics#CO_PARTITIONED}), since task {@code n} reads partition {@code n} of each.
   */
  public static List<Set<String>> sourceTopicsBySubtopology(Topology topology, Topics topics) {
    List<Set<String>> out = new ArrayList<>();
    for (TopologyDescription.Subtopology sub : topology.describe().subtopologies()) {
      Set<String> sources = new TreeSet<>();
      for (TopologyDescription.Node node : sub.nodes()) {
        if (node instanceof TopologyDescription.Source source && source.topicSet() != null) {
          source.topicSet().stream().filter(t -> topics.byName(t).isPresent()).forEach(sources::add);
        }
      }
      out.add(sources);
    }
    return out;
  }

  /**
   * Refuses to start when a topic the topology reads exists with another partition count than the
   * deployment's settings give it: Streams would run one task per partition of the larger one and
   * co-partitioned topics would no longer meet; partitions are fixed at creation, so the message says
   * how to fix the settings or grow the topics.
   *
   * @throws IllegalStateException naming each topic with its expected and found counts
   */
  public static void checkSourceTopics(Topology topology, Topics topics, Properties props) {
    Set<String> sources = sourceTopics(topology, topics);
    try (Admin admin = Admin.create(new StreamsConfig(props).getAdminConfigs("inkflow-topic-check"))) {
      TopicAdmin.verify(admin, topics, sources, TOPIC_CHECK_TIMEOUT);
      LOG.info("source topics {} have the partition counts of {}", sources, topics.settings());
    } catch (ExecutionException | TimeoutException e) {
      // The broker did not answer: Streams itself reports missing or unreachable topics once it starts.
      LOG.warn("could not check the partition counts of {}: {}", sources, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking the partition counts of " + sources, e);
    }
  }
}
