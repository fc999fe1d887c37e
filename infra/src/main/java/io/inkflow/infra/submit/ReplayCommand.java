package io.inkflow.infra.submit;

import io.inkflow.common.deadletter.DeadLetterHeaders;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code submit replay --dlq TOPIC [--reason CODE]}: re-injects dead letters, original key and value
 * bytes unchanged, into the topic each came from (its {@code inkflow.source.topic} header), without the
 * error headers. Downstream stages dedupe, so replaying the same letters twice makes no second set of
 * results.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, description = "Re-inject dead letters into their source topic.")
final class ReplayCommand implements Callable<Integer> {
  @Option(names = "--dlq", required = true, description = "the dead-letter topic, e.g. prompt-requests.dlq")
  String dlq;

  @Option(names = "--reason", description = "only letters with this inkflow.error.code")
  String reason;

  @Option(names = "--dry-run", description = "report what would be replayed, replay nothing")
  boolean dryRun;

  @CommandLine.Mixin
  ConnectionOptions connection;

  private final PrintStream out;
  private final PrintStream err;

  ReplayCommand(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    String topic = connection.topicPrefix + dlq;
    Map<String, Integer> replayed = new TreeMap<>();
    int skipped = 0;
    Map<String, Object> consumerCfg = new HashMap<>(connection.kafka());
    consumerCfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, Object> producerCfg = new HashMap<>(connection.kafka());
    producerCfg.put(ProducerConfig.ACKS_CONFIG, "all");
    producerCfg.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerCfg, new ByteArrayDeserializer(), new ByteArrayDeserializer());
         KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerCfg, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String code = DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.ERROR_CODE);
          String source = DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.SOURCE_TOPIC);
          if (reason != null && !reason.equals(code)) {
            continue;
          }
          if (source == null) {
            err.printf("%s-%d@%d has no %s header; left alone%n", r.topic(), r.partition(), r.offset(), DeadLetterHeaders.SOURCE_TOPIC);
            skipped++;
            continue;
          }
          if (!dryRun) {
            RecordHeaders headers = new RecordHeaders();
            for (Header h : r.headers()) {
              if (!h.key().startsWith("inkflow.error.") && !h.key().startsWith("inkflow.source.")) {
                headers.add(h);
              }
            }
            producer.send(new ProducerRecord<>(source, null, r.key(), r.value(), headers));
          }
          replayed.merge(source + " (" + code + ")", 1, Integer::sum);
        }
      }
      producer.flush();
    }
    int total = replayed.values().stream().mapToInt(Integer::intValue).sum();
    out.printf("%s %d dead letter(s) from %s%s: %s%s%n", dryRun ? "would replay" : "replayed", total, topic,
        reason == null ? "" : " with reason " + reason, replayed, skipped > 0 ? "; " + skipped + " without a source left alone" : "");
    return 0;
  }
}
