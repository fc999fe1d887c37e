package io.inkflow.streams.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.BadCase;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.PreferencePair;
import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.ObjectStore;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.common.StreamsSettings;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code scripts/export-preferences}: writes {@code preference-pairs} and {@code bad-cases} to S3 as
 * JSON Lines datasets, {@code datasets/preferences/date=YYYY-MM-DD/…} and
 * {@code datasets/bad-cases/date=…/…}, partitioned by each record's own timestamp. People's labels go
 * beside the model's: {@code human-preferences} into the preferences dataset (Pick-a-Pic rows, skips
 * left out) and {@code human-verdicts} into the bad-cases dataset, each in files of its own
 * ({@code human-preferences-p…}, {@code human-verdicts-p…}); every row has a {@code label_source} column.
 *
 * <p>Each run reads, per topic partition, from where the last completed run stopped up to the
 * current end (committed records only) and names its files by that offset range
 * ({@code preferences-p0-o00000000000000000000-00000000000000000041.jsonl}). A run is completed by a
 * marker under {@code datasets/_exports/<source>/}; files of a run that died before its marker are deleted and
 * rewritten by the next run. So a re-run writes no duplicate rows, and no consumer group is needed.
 */
public final class PreferenceExporter {
  private static final Logger LOG = LoggerFactory.getLogger(PreferenceExporter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern RANGE = Pattern.compile("-p(\\d+)-o(\\d{20})-(\\d{20})\\.(jsonl|done)$");
  public static final String PREFERENCES = "preferences";
  public static final String BAD_CASES = "bad-cases";
  /** People's pairwise judgements, exported into the {@value #PREFERENCES} dataset. */
  public static final String HUMAN_PREFERENCES = "human-preferences";
  /** People's reviews of verdicts, exported into the {@value #BAD_CASES} dataset. */
  public static final String HUMAN_VERDICTS = "human-verdicts";

  private final Map<String, Object> consumerConfig;
  private final ObjectStore store;
  private final int validationPercent;

  /**
   * @param consumerConfig Kafka consumer settings (bootstrap servers, security); no group is used
   * @param store the store the datasets are written to
   * @param validationPercent share of prompts assigned to the validation split
   */
  public PreferenceExporter(Map<String, Object> consumerConfig, ObjectStore store, int validationPercent) {
    this.consumerConfig = Map.copyOf(consumerConfig);
    this.store = store;
    DatasetRows.split("", validationPercent);
    this.validationPercent = validationPercent;
  }

  /**
   * What one run wrote: rows per source ({@value #PREFERENCES}, {@value #HUMAN_PREFERENCES},
   * {@value #BAD_CASES}, {@value #HUMAN_VERDICTS}) and the files.
   */
  public record Summary(Map<String, Integer> rows, List<String> files) {}

  /** Exports both datasets, with people's labels beside the model's. */
  public Summary run(Topics topics) {
    Map<String, Integer> rows = new TreeMap<>();
    List<String> files = new ArrayList<>();
    rows.put(PREFERENCES, export(PREFERENCES, PREFERENCES, topics.preferencePairs,
        (PreferencePair p, Integer v) -> DatasetRows.preference(p, v), files));
    rows.put(HUMAN_PREFERENCES, export(PREFERENCES, HUMAN_PREFERENCES, topics.humanPreferences,
        (HumanPreference h, Integer v) -> DatasetRows.humanPreference(h, v), files));
    rows.put(BAD_CASES, export(BAD_CASES, BAD_CASES, topics.badCases, (BadCase b, Integer v) -> DatasetRows.badCase(b, v), files));
    rows.put(HUMAN_VERDICTS, export(BAD_CASES, HUMAN_VERDICTS, topics.humanVerdicts,
        (HumanVerdict h, Integer v) -> DatasetRows.humanVerdict(h, v), files));
    return new Summary(rows, files);
  }

  /**
   * Exports one topic into one dataset's folder, in files named after {@code source}.
   *
   * @param toRow the row of a record, or null for a record that makes none (a skip)
   */
  private <V> int export(String dataset, String source, Topic<String, V> topic, BiFunction<V, Integer, Map<String, Object>> toRow,
      List<String> written) {
    String dataPrefix = "datasets/" + dataset + "/";
    String markerPrefix = "datasets/_exports/" + source + "/";
    String filePrefix = source + "-p";
    Map<String, Object> cfg = new HashMap<>(consumerConfig);
    cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    cfg.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    cfg.remove(ConsumerConfig.GROUP_ID_CONFIG);
    int total = 0;
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(cfg, new StringDeserializer(), topic.valueSerde().deserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      Map<Integer, Long> next = new HashMap<>();
      for (String key : store.list(markerPrefix)) {
        Matcher m = RANGE.matcher(key);
        if (m.find()) {
          next.merge(Integer.parseInt(m.group(1)), Long.parseLong(m.group(3)) + 1, Math::max);
        }
      }
      // Files of a run that stopped before its marker: rewritten below, so remove them first.
      for (String key : store.list(dataPrefix)) {
        Matcher m = RANGE.matcher(key);
        // Another source's files share the folder: only this source's are this run's to redo.
        if (key.substring(key.lastIndexOf('/') + 1).startsWith(filePrefix) && m.find() && Long.parseLong(m.group(2)) >= next.getOrDefault(Integer.parseInt(m.group(1)), 0L)) {
          LOG.info("removing {} left by an export that did not finish", key);
          store.delete(key);
        }
      }
      for (TopicPartition tp : partitions) {
        long from = Math.max(next.getOrDefault(tp.partition(), 0L), begin.get(tp));
        long to = end.get(tp) - 1;
        if (from > to) {
          continue;
        }
        consumer.assign(List.of(tp));
        consumer.seek(tp, from);
        Map<String, StringBuilder> byDate = new TreeMap<>();
        int rows = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (consumer.position(tp) <= to) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("reading " + tp + " from " + from + " to " + to + " stalled at " + consumer.position(tp));
          }
          for (ConsumerRecord<String, V> r : consumer.poll(Duration.ofMillis(500))) {
            if (r.offset() > to || r.value() == null) {
              continue;
            }
            Map<String, Object> row = toRow.apply(r.value(), validationPercent);
            if (row == null) {
              continue;
            }
            byDate.computeIfAbsent(DatasetRows.datePartition(r.timestamp()), d -> new StringBuilder())
                .append(json(row)).append('\n');
            rows++;
          }
        }
        String range = String.format(Locale.ROOT, "-p%d-o%020d-%020d", tp.partition(), from, to);
        for (Map.Entry<String, StringBuilder> e : byDate.entrySet()) {
          String key = dataPrefix + e.getKey() + "/" + source + range + ".jsonl";
          put(key, e.getValue().toString().getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
          written.add(key);
        }
        put(markerPrefix + source + range + ".done", ("{\"rows\":" + rows + "}").getBytes(StandardCharsets.UTF_8), "application/json");
        total += rows;
        LOG.info("exported {} rows of {} offsets {}..{} to {} date partitions", rows, tp, from, to, byDate.size());
      }
    }
    return total;
  }

  private void put(String key, byte[] body, String type) {
    store.put(key, body, type, Map.of());
  }

  private static String json(Map<String, Object> row) {
    try {
      return JSON.writeValueAsString(row);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The validation split's default share of prompts, in percent. */
  public static final int DEFAULT_VALIDATION_PERCENT = 5;

  /** The exporter's own variable; it also reads the shared Kafka, streams and S3 ones. */
  public static final ConfigDef DEFINITION = new ConfigDef()
      .define("INKFLOW_EXPORT_VALIDATION_PERCENT", Type.INT, DEFAULT_VALIDATION_PERCENT, ConfigDef.Range.between(0, 100), Importance.MEDIUM,
          "share of prompts (by hash) in the validation split");

  /** Everything the exporter reads. */
  public static final ConfigDef ALL = SharedConfig.merge(SharedConfig.KAFKA, TopicSettings.DEFINITION, StreamsSettings.DEFINITION,
      S3Settings.DEFINITION, DEFINITION);

  /** Reads {@link #ALL} from the environment. */
  public static void main(String[] args) {
    EnvConfig config = new EnvConfig(ALL, System.getenv(), StreamsSettings.ALIASES);
    StreamsSettings streams = StreamsSettings.from(config);
    S3Settings s3Settings = S3Settings.from(config);
    int validation = config.getInt("INKFLOW_EXPORT_VALIDATION_PERCENT");
    Map<String, Object> consumer = new HashMap<>(streams.clientOverrides());
    consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, streams.bootstrapServers());
    try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(streams.registry());
         S3Client s3 = S3Clients.create(s3Settings)) {
      Topics topics = Topics.create(registry, streams.topicPrefix(), streams.topics(), false);
      ObjectStore store = new S3ObjectStore(s3, s3Settings.bucket());
      Summary summary = new PreferenceExporter(consumer, store, validation).run(topics);
      System.out.printf("exported %d preference rows (%d of them people's), %d bad-case rows and %d reviews in %d files to %s%n",
          summary.rows().get(PREFERENCES) + summary.rows().get(HUMAN_PREFERENCES), summary.rows().get(HUMAN_PREFERENCES),
          summary.rows().get(BAD_CASES), summary.rows().get(HUMAN_VERDICTS), summary.files().size(), store.uri("datasets/"));
    }
  }
}
