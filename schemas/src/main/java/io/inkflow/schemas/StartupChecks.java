package io.inkflow.schemas;

import io.inkflow.common.health.StartupCheck;
import io.inkflow.common.health.TopicCheck;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The start-up checks every service runs: its topics, and the schema registry. */
public final class StartupChecks {
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

  /** The registry answers (one request per URL per round; the client's own retries are for serde calls). */
  public static StartupCheck registry(RestSchemaRegistryClient registry) {
    return () -> registry.ping().map(List::of).orElse(List.of());
  }
}
