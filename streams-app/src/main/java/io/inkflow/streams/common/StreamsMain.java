package io.inkflow.streams.common;

import io.inkflow.schemas.TopicAdmin;
import io.inkflow.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a streams app runs: a {@link StreamsService} (start-up checks, HTTP port, the topology with a
 * failed stream thread replaced, so a task that failed on an outage restarts and exactly-once replays it),
 * closed on SIGTERM; and the start-up check of the source topics' partition counts.
 */
public final class StreamsMain {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsMain.class);
  /** How long the start-up check of the source topics' partition counts waits for the broker. */
  private static final Duration TOPIC_CHECK_TIMEOUT = Duration.ofSeconds(30);

  private StreamsMain() {}

  /**
   * Starts {@code service} and runs until the JVM is asked to stop, then closes it. Call
   * {@link #checkSourceTopics} with the service's topology first.
   */
  public static void run(String name, StreamsService service) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping {}", name);
      service.close();
      stopped.countDown();
    }, name + "-shutdown"));
    service.start();
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
