package io.inkflow.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalogue's topics with the deployment's partition counts, replication factor and
 * {@code min.insync.replicas}, and checks topics that already exist against those counts.
 *
 * <p>An existing topic is never altered: partitions are fixed at creation, and adding some later moves
 * keys to other partitions (see {@code docs/scaling.md}). A topic whose count differs from the one the
 * settings give it is reported as an error naming the topic, the expected and the found counts.
 */
public final class TopicAdmin {
  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

  private TopicAdmin() {}

  /**
   * Creates every catalogue topic that does not exist yet and checks the partition counts of those that
   * do, before creating anything.
   *
   * @return the names of the topics created
   * @throws IllegalStateException when an existing topic has another partition count than expected, or
   *     the cluster cannot hold the replication factor
   */
  public static List<String> ensure(Admin admin, Topics topics, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    List<String> present = topics.all().stream().map(Topic::name).filter(existing::contains).toList();
    verify(admin, topics, present, timeout);
    List<NewTopic> missing = topics.newTopics().stream().filter(t -> !existing.contains(t.name())).toList();
    if (missing.isEmpty()) {
      return List.of();
    }
    Map<String, KafkaFuture<Void>> results = admin.createTopics(missing).values();
    List<String> created = new ArrayList<>();
    for (Map.Entry<String, KafkaFuture<Void>> e : results.entrySet()) {
      try {
        e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        created.add(e.getKey());
      } catch (ExecutionException failure) {
        if (failure.getCause() instanceof TopicExistsException) {
          continue; // created by another service starting at the same moment; checked below
        }
        if (failure.getCause() instanceof InvalidReplicationFactorException) {
          throw new IllegalStateException("cannot create topic " + e.getKey() + " with replication factor "
              + topics.settings().replicationFactor() + " (" + TopicSettings.REPLICATION_FACTOR + "): "
              + failure.getCause().getMessage() + " The cluster needs at least as many brokers as the replication factor.",
              failure.getCause());
        }
        throw failure;
      }
    }
    List<String> raced = missing.stream().map(NewTopic::name).filter(n -> !created.contains(n)).toList();
    if (!raced.isEmpty()) {
      verify(admin, topics, raced, timeout);
    }
    LOG.info("created {} topics ({} partitions per data topic{}, replication factor {}, min.insync.replicas {}); {} existed",
        created.size(), topics.settings().partitions(),
        topics.settings().partitionOverrides().isEmpty() ? "" : ", overrides " + topics.settings().partitionOverrides(),
        topics.settings().replicationFactor(), topics.settings().minInsyncReplicas(), topics.all().size() - created.size());
    return created;
  }

  /**
   * Checks that each of the named catalogue topics that exists has the partition count the catalogue
   * gives it; topics that do not exist are left to whoever creates them.
   *
   * @param names topic names (prefix included); names outside the catalogue are ignored
   * @throws IllegalStateException listing every topic whose count differs: topic, expected, found, and
   *     the variable that sets it
   */
  public static void verify(Admin admin, Topics topics, Collection<String> names, Duration timeout)
      throws InterruptedException, ExecutionException, TimeoutException {
    Set<String> wanted = new TreeSet<>(names);
    wanted.removeIf(n -> topics.byName(n).isEmpty());
    if (wanted.isEmpty()) {
      return;
    }
    Map<String, Integer> found = new LinkedHashMap<>();
    for (Map.Entry<String, KafkaFuture<TopicDescription>> e : admin.describeTopics(wanted).topicNameValues().entrySet()) {
      try {
        found.put(e.getKey(), e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS).partitions().size());
      } catch (ExecutionException missing) {
        if (!(missing.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw missing;
        }
      }
    }
    List<String> problems = mismatches(topics, found);
    if (!problems.isEmpty()) {
      throw new IllegalStateException(String.join("; ", problems) + ". Partitions are fixed at creation and inkflow never alters "
          + "an existing topic: set the variable to the topic's count, or create new topics and migrate (docs/scaling.md)");
    }
  }

  /**
   * The problems in {@code found} (topic name → partition count of the existing topic): one line per
   * topic whose count differs from the catalogue's, naming the co-partitioned topics it must match.
   */
  static List<String> mismatches(Topics topics, Map<String, Integer> found) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, Integer> e : found.entrySet()) {
      Topic<?, ?> topic = topics.byName(e.getKey()).orElse(null);
      if (topic == null || topic.partitions() == e.getValue()) {
        continue;
      }
      String line = "topic " + topic.name() + " has " + e.getValue() + " partitions, expected " + topic.partitions()
          + " (" + topics.partitionsVariable(topic) + ")";
      line += topics.coPartitionOf(topic)
          .map(g -> ", co-partitioned with " + String.join(", ", g.topics().stream().map(t -> topics.prefix() + t)
              .filter(t -> !t.equals(topic.name())).toList()) + " (read together by " + g.readBy() + ")")
          .orElse("");
      problems.add(line);
    }
    return problems;
  }
}
