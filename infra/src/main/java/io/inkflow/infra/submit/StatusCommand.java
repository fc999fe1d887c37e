package io.inkflow.infra.submit;

import io.inkflow.avro.BatchSubmitted;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code submit status --batch ID}: a batch's progress from the topics, whoever submitted it and whenever. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Report a batch's progress.")
final class StatusCommand implements Callable<Integer> {
  @Option(names = "--batch", required = true, description = "the batch id")
  String batchId;

  @CommandLine.Mixin
  ConnectionOptions connection;

  private final PrintStream out;
  private final PrintStream err;

  StatusCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(connection.registry())) {
      Topics topics = Topics.create(registry, connection.topicPrefix, Topics.DEFAULT_PARTITIONS, true);
      List<BatchSubmitted> announced = new ArrayList<>();
      readToEnd(topics.batches, b -> {
        if (b.getBatchId().equals(batchId)) {
          announced.add(b);
        }
      });
      if (announced.isEmpty()) {
        err.println("no batch '" + batchId + "' on " + topics.batches.name());
        return 1;
      }
      BatchWatch progress = new BatchWatch(batchId, announced.get(announced.size() - 1).getExpectedCount(), System.nanoTime());
      readToEnd(topics.requestResults, progress::accept);
      readToEnd(topics.batchResults, progress::accept);
      out.printf("batch %s: %d/%d requests answered, %d images; %s%n", batchId, progress.done(), progress.expected(),
          progress.images(), progress.byStatus());
      if (progress.batchResult() != null) {
        out.printf("complete: manifest %s%n", progress.batchResult().getManifestUri());
      } else {
        out.println("not complete yet");
      }
      return 0;
    }
  }

  /** Reads a topic from the start to its current end (committed records only). */
  private <V> void readToEnd(Topic<?, V> topic, Consumer<V> sink) {
    Map<String, Object> cfg = new HashMap<>(connection.kafka());
    cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<?, V> c = new KafkaConsumer<>(cfg, topic.keySerde().deserializer(), new SkipUnreadable<>(topic))) {
      List<TopicPartition> parts = c.partitionsFor(topic.name()).stream().map(p -> new TopicPartition(topic.name(), p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<?, V> r : c.poll(Duration.ofMillis(200))) {
          if (r.value() != null) {
            sink.accept(r.value());
          }
        }
      }
    }
  }

  /** A value deserializer that reports and skips what it cannot read instead of stopping the report. */
  private final class SkipUnreadable<V> implements Deserializer<V> {
    private final Topic<?, V> topic;

    SkipUnreadable(Topic<?, V> topic) {
      this.topic = topic;
    }

    @Override
    public V deserialize(String name, byte[] data) {
      try {
        return topic.valueSerde().deserializer().deserialize(name, data);
      } catch (SerializationException e) {
        err.println("skipping an unreadable record on " + name + ": " + e.getMessage());
        return null;
      }
    }
  }
}
