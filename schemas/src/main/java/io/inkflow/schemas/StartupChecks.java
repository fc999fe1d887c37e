package io.inkflow.schemas;

import io.inkflow.common.health.StartupCheck;
import io.inkflow.common.health.TopicCheck;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** The start-up checks every service runs: its topics, and the schema registry. */
public final class StartupChecks {
  /** How long one round of the partition check waits for the broker. */
  private static final Duration PARTITIONS_TIMEOUT = Duration.ofSeconds(10);

  private StartupChecks() {}

  /**
   * The topics in {@code used} exist; when {@code partitions} is set, the data topics among them (not the
   * dead-letter topics) have that many partitions.
   */
  public static StartupCheck topics(Map<String, Object> adminProps, List<Topic<?, ?>> used, Integer partitions) {
    Map<String, Integer> expected = new LinkedHashMap<>();
    for (Topic<?, ?> t : used) {
      expected.put(t.name(), partitions == null || t.isDeadLetter() ? TopicCheck.ANY : partitions);
    }
    return new TopicCheck(adminProps, expected);
  }

  /**
   * The topics among {@code names} that exist have the partition counts {@code topics}' settings give them
   * ({@link TopicAdmin#verify}): one problem naming every topic that differs, its expected and found counts and
   * the variable that sets it. Partitions are fixed at creation, so this holds the service unready until the
   * settings or the topics are fixed, instead of letting it exit and crash-loop. Missing topics are left to
   * {@link #topics}; a broker that does not answer is a problem of its own, so the counts are never skipped.
   */
  public static StartupCheck partitions(Map<String, Object> adminProps, Topics topics, Collection<String> names) {
    List<String> checked = List.copyOf(new TreeSet<>(names));
    Map<String, Object> props = new HashMap<>(adminProps);
    props.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) PARTITIONS_TIMEOUT.toMillis());
    props.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) PARTITIONS_TIMEOUT.toMillis());
    return () -> {
      try (Admin admin = Admin.create(props)) {
        TopicAdmin.verify(admin, topics, checked, PARTITIONS_TIMEOUT);
        return List.of();
      } catch (IllegalStateException wrongCount) {
        return List.of(wrongCount.getMessage());
      } catch (ExecutionException | TimeoutException e) {
        return List.of("could not check the partition counts of " + checked + ": " + (e.getCause() == null ? e : e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of("interrupted while checking the partition counts of " + checked);
      }
    };
  }

  /** The registry answers (one request per URL per round; the client's own retries are for serde calls). */
  public static StartupCheck registry(RestSchemaRegistryClient registry) {
    return () -> registry.ping().map(List::of).orElse(List.of());
  }
}
