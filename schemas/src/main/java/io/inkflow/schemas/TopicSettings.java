package io.inkflow.schemas;

import io.inkflow.common.config.EnvConfig;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * How one deployment sizes its topics, shared by every service: the partition count of the data topics
 * (one count, optionally overridden per topic), the replication factor and {@code min.insync.replicas}
 * of every topic, Kafka Streams' internal topics included.
 *
 * <p>Partitions are fixed when a topic is created: inkflow never alters an existing topic, and a
 * service refuses to start when a topic it reads has another count than these settings give it (see
 * {@code docs/scaling.md} for how to grow). Topics one sub-topology reads together
 * ({@link Topics#CO_PARTITIONED}) must keep equal counts, so an override that would split them is
 * refused here.
 *
 * @param partitions partitions of each data topic ({@code INKFLOW_TOPIC_PARTITIONS})
 * @param partitionOverrides per-topic counts by catalogue name without prefix
 *     ({@code INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS} → {@code generation-jobs})
 * @param replicationFactor replicas of every partition ({@code INKFLOW_TOPIC_REPLICATION_FACTOR})
 * @param minInsyncReplicas replicas that must acknowledge a write under {@code acks=all}
 *     ({@code INKFLOW_TOPIC_MIN_ISR})
 */
public record TopicSettings(int partitions, Map<String, Integer> partitionOverrides, short replicationFactor, int minInsyncReplicas) {
  public static final String PARTITIONS = "INKFLOW_TOPIC_PARTITIONS";
  public static final String REPLICATION_FACTOR = "INKFLOW_TOPIC_REPLICATION_FACTOR";
  public static final String MIN_ISR = "INKFLOW_TOPIC_MIN_ISR";

  /** Partitions of data topics unless configured otherwise. */
  public static final int DEFAULT_PARTITIONS = 6;

  public TopicSettings {
    if (partitions < 1) {
      throw new IllegalArgumentException(PARTITIONS + " must be at least 1, found " + partitions);
    }
    partitionOverrides = Map.copyOf(partitionOverrides);
    partitionOverrides.forEach((topic, n) -> {
      if (!Topics.DATA_TOPICS.contains(topic)) {
        throw new IllegalArgumentException("no data topic '" + topic + "' to override partitions of; expected one of " + Topics.DATA_TOPICS);
      }
      if (n < 1) {
        throw new IllegalArgumentException(partitionsVariable(topic) + " must be at least 1, found " + n);
      }
    });
    if (replicationFactor < 1) {
      throw new IllegalArgumentException(REPLICATION_FACTOR + " must be at least 1, found " + replicationFactor);
    }
    if (minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor) {
      throw new IllegalArgumentException(MIN_ISR + " must be 1.." + REPLICATION_FACTOR + " (" + replicationFactor + "), found "
          + minInsyncReplicas + ": a write needs min ISR replicas in sync, and there are only " + replicationFactor);
    }
    for (Topics.CoPartition group : Topics.CO_PARTITIONED) {
      String first = group.topics().get(0);
      int expected = partitionOverrides.getOrDefault(first, partitions);
      for (String other : group.topics().subList(1, group.topics().size())) {
        int found = partitionOverrides.getOrDefault(other, partitions);
        if (found != expected) {
          throw new IllegalArgumentException("topics " + first + " (" + expected + " partitions) and " + other + " (" + found
              + " partitions) are co-partitioned, read together by " + group.readBy() + ", and must keep equal counts: set "
              + partitionsVariable(first) + " and " + partitionsVariable(other) + " to the same value, or neither");
        }
      }
    }
  }

  /** Every data topic with {@code partitions} partitions, replication factor 1, min ISR 1: one broker, tests. */
  public static TopicSettings uniform(int partitions) {
    return new TopicSettings(partitions, Map.of(), (short) 1, 1);
  }

  /** The defaults: {@value #DEFAULT_PARTITIONS} partitions, replication factor 1 and min ISR 1 (one local broker). */
  public static TopicSettings defaults() {
    return uniform(DEFAULT_PARTITIONS);
  }

  /** The per-topic override variable of data topic {@code topic} (a catalogue name without prefix). */
  public static String partitionsVariable(String topic) {
    return PARTITIONS + "_" + topic.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The variables: one count, per-topic overrides of it, replication factor and min ISR. */
  public static final ConfigDef DEFINITION = definition();

  private static ConfigDef definition() {
    ConfigDef def = new ConfigDef()
        .define(PARTITIONS, Type.INT, DEFAULT_PARTITIONS, ConfigDef.Range.atLeast(1), Importance.HIGH,
            "partitions of each data topic when it is created: at least the largest consumer group that reads it "
                + "(see docs/scaling.md); fixed once the topic exists")
        .define(REPLICATION_FACTOR, Type.INT, 1, ConfigDef.Range.between(1, Short.MAX_VALUE), Importance.HIGH,
            "replicas of every topic, Kafka Streams' changelog and repartition topics included: 1 for one local broker, "
                + "3 in production")
        .define(MIN_ISR, Type.INT, 1, ConfigDef.Range.atLeast(1), Importance.HIGH,
            "min.insync.replicas of every topic, at most the replication factor: 2 with 3 replicas in production");
    for (String topic : Topics.DATA_TOPICS) {
      def.define(partitionsVariable(topic), Type.INT, null, EnvConfig.optional(ConfigDef.Range.atLeast(1)), Importance.LOW,
          "partitions of " + topic + " when it differs from " + PARTITIONS
              + (topic.equals(Topics.GENERATION_JOBS) ? " (the worker fan-out: at least the number of GPUs)" : "")
              + coPartitionNote(topic));
    }
    return def;
  }

  private static String coPartitionNote(String topic) {
    for (Topics.CoPartition group : Topics.CO_PARTITIONED) {
      if (group.topics().contains(topic)) {
        List<String> others = group.topics().stream().filter(t -> !t.equals(topic)).toList();
        return "; must equal " + String.join(", ", others.stream().map(TopicSettings::partitionsVariable).toList())
            + " (co-partitioned)";
      }
    }
    return "";
  }

  /** Reads {@link #DEFINITION}'s variables from the environment. */
  public static TopicSettings fromEnv(Map<String, String> env) {
    return from(new EnvConfig(DEFINITION, env));
  }

  /** Reads {@link #DEFINITION}'s variables from a service's configuration that includes them. */
  public static TopicSettings from(EnvConfig config) {
    Map<String, Integer> overrides = new TreeMap<>();
    for (String topic : Topics.DATA_TOPICS) {
      Integer n = config.getInt(partitionsVariable(topic));
      if (n != null) {
        overrides.put(topic, n);
      }
    }
    return new TopicSettings(config.getInt(PARTITIONS), overrides, config.getInt(REPLICATION_FACTOR).shortValue(),
        config.getInt(MIN_ISR));
  }

  /** Partitions of data topic {@code topic} (a catalogue name without prefix). */
  public int partitionsOf(String topic) {
    return partitionOverrides.getOrDefault(topic, partitions);
  }

  /** These settings as the variables that give them, for services started from a launcher or a test. */
  public Map<String, String> asEnv() {
    Map<String, String> env = new TreeMap<>();
    env.put(PARTITIONS, Integer.toString(partitions));
    partitionOverrides.forEach((topic, n) -> env.put(partitionsVariable(topic), Integer.toString(n)));
    env.put(REPLICATION_FACTOR, Short.toString(replicationFactor));
    env.put(MIN_ISR, Integer.toString(minInsyncReplicas));
    return env;
  }

  @Override
  public String toString() {
    return "TopicSettings[partitions=" + partitions + (partitionOverrides.isEmpty() ? "" : ", overrides=" + new TreeMap<>(partitionOverrides))
        + ", replicationFactor=" + replicationFactor + ", minIsr=" + minInsyncReplicas + "]";
  }
}
