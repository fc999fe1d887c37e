package io.inkflow.common.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Checks that the topics a service reads and writes exist, and, where the deployment states a partition
 * count, that they have it. Asks the cluster through a short-lived admin client on each round.
 */
public final class TopicCheck implements StartupCheck {
  /** Partition count for "any". */
  public static final int ANY = 0;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final Map<String, Object> adminProps;
  private final Map<String, Integer> expected;

  /**
   * @param adminProps admin client properties (bootstrap servers, security)
   * @param expected topic name → expected partitions, or {@link #ANY}
   */
  public TopicCheck(Map<String, Object> adminProps, Map<String, Integer> expected) {
    this.adminProps = Map.copyOf(adminProps);
    this.expected = new TreeMap<>(expected);
  }

  @Override
  public List<String> problems() {
    Map<String, Object> props = new TreeMap<>(adminProps);
    props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
    List<String> problems = new ArrayList<>();
    try (Admin admin = Admin.create(props)) {
      Map<String, KafkaFuture<TopicDescription>> found = admin.describeTopics(Set.copyOf(expected.keySet())).topicNameValues();
      for (Map.Entry<String, Integer> e : expected.entrySet()) {
        try {
          TopicDescription d = found.get(e.getKey()).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          int partitions = d.partitions().size();
          if (e.getValue() != ANY && partitions != e.getValue()) {
            problems.add("topic " + e.getKey() + " has " + partitions + " partitions, expected " + e.getValue());
          }
        } catch (ExecutionException ex) {
          if (ex.getCause() instanceof UnknownTopicOrPartitionException) {
            problems.add("topic " + e.getKey() + " is missing");
          } else {
            problems.add("Kafka at " + props.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG) + " cannot describe topic "
                + e.getKey() + ": " + ex.getCause());
          }
        } catch (TimeoutException ex) {
          problems.add("Kafka at " + props.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG) + " did not answer within " + TIMEOUT);
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      problems.add("interrupted while checking topics");
    }
    return problems;
  }
}
