package io.inkflow.schemas;

import java.util.Map;
import java.util.Objects;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of the catalogue: its name, partition count, topic configs and serdes.
 *
 * @param name the topic name (with the catalogue's prefix, if any)
 * @param partitions partition count
 * @param configs topic-level configs (cleanup policy, retention, …)
 * @param keySerde serde of the record keys (plain UTF-8 strings, or raw bytes for dead letters)
 * @param valueSerde serde of the record values
 */
public record Topic<K, V>(String name, int partitions, Map<String, String> configs, Serde<K> keySerde, Serde<V> valueSerde) {
  public Topic {
    Objects.requireNonNull(name, "name");
    if (partitions < 1) {
      throw new IllegalArgumentException("topic " + name + ": partitions must be >= 1, found " + partitions);
    }
    configs = Map.copyOf(configs);
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
  }

  /** Whether this is a dead-letter topic (holding original bytes plus error headers). */
  public boolean isDeadLetter() {
    return name.endsWith(Topics.DLQ_SUFFIX);
  }

  /** An Admin {@link NewTopic} with the given replication factor. */
  public NewTopic newTopic(short replicationFactor) {
    return new NewTopic(name, partitions, replicationFactor).configs(configs);
  }
}
