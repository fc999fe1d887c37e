package io.inkflow.streams.common;

import io.inkflow.schemas.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyDescription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a streams app runs: a {@link StreamsService} (start-up checks, HTTP port, the topology with a
 * failed stream thread replaced, so a task that failed on an outage restarts and exactly-once replays it),
 * closed on SIGTERM; and the catalogue topics a topology reads, whose partition counts its start-up checks compare
 * with the deployment's settings ({@link StreamsSettings#partitionCheck}).
 */
public final class StreamsMain {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsMain.class);

  private StreamsMain() {}

  /**
   * Starts {@code service} and runs until the JVM is asked to stop, then closes it.
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

}
