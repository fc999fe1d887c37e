package io.inkflow.infra.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.PreferencePair;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.streams.export.PreferenceExporter;
import io.inkflow.testing.ExampleEvents;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;

/**
 * The dataset exporter against the real broker and S3 server: read back, re-run adds nothing, new records
 * add only themselves; people's judgements and reviews land beside the model's rows.
 */
class ExportPreferencesIT {
  static final Instant DAY1 = Instant.parse("2026-11-24T23:30:00Z");
  static final Instant DAY2 = Instant.parse("2026-11-25T08:00:00Z");
  static final ObjectMapper JSON = new ObjectMapper();
  static LocalStack stack;

  @BeforeAll
  static void start() {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("export-it.").withPartitions(2));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  @Test
  void exportsPairsAndBadCasesByDateAndARerunWritesNoDuplicates() throws Exception {
    Topics topics = stack.topics();
    S3Client s3 = stack.connection().s3Client();
    String bucket = stack.connection().bucket();
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      send(producer, topics.preferencePairs, "r1", pair("r1-0>r1-1", "a red teapot"), DAY1);
      send(producer, topics.preferencePairs, "r2", pair("r2-1>r2-0", "一只青花瓷茶壶"), DAY2);
      send(producer, topics.preferencePairs, "r3", pair("r3-0>r3-2", "a blue cup"), DAY2);
      send(producer, topics.badCases, "TEA-003", ExampleEvents.badCase(), DAY2);
      send(producer, topics.humanPreferences, "r1", judgement("h1", "r1-0~r1-1", "ann", PreferenceChoice.IMAGE_1), DAY2);
      send(producer, topics.humanPreferences, "r1", judgement("h2", "r1-0~r1-1", "王芳", PreferenceChoice.TIE), DAY2);
      send(producer, topics.humanPreferences, "r2", judgement("h3", "r2-0~r2-1", "ann", PreferenceChoice.SKIP), DAY2);
      send(producer, topics.humanVerdicts, "TEA-003", ExampleEvents.humanVerdict(), DAY2);
      producer.flush();
    }
    PreferenceExporter exporter = new PreferenceExporter(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()), new S3ObjectStore(s3, bucket), 50);

    PreferenceExporter.Summary first = exporter.run(topics);
    assertThat(first.rows()).containsEntry(PreferenceExporter.PREFERENCES, 3).containsEntry(PreferenceExporter.BAD_CASES, 1)
        .containsEntry(PreferenceExporter.HUMAN_PREFERENCES, 2).containsEntry(PreferenceExporter.HUMAN_VERDICTS, 1);
    Map<String, String> objects = read(s3, bucket, "datasets/preferences/");
    assertThat(objects.keySet())
        .allMatch(k -> k.matches("datasets/preferences/date=2026-11-2[45]/(human-)?preferences-p\\d-o\\d{20}-\\d{20}\\.jsonl"));
    List<JsonNode> human = rows(objects).stream().filter(r -> r.get("label_source").asText().equals("human")).toList();
    assertThat(human).extracting(r -> r.get("annotator").asText()).containsExactlyInAnyOrder("ann", "王芳");
    JsonNode annRow = human.stream().filter(r -> r.get("annotator").asText().equals("ann")).findFirst().orElseThrow();
    assertThat(annRow.get("label_0").asDouble() == 1.0 ? annRow.get("image_0_uri").asText() : annRow.get("image_1_uri").asText())
        .isEqualTo("s3://b/r1-0~r1-1/1.png");
    JsonNode tieRow = human.stream().filter(r -> r.get("annotator").asText().equals("王芳")).findFirst().orElseThrow();
    assertThat(tieRow.get("label_0").asDouble()).isEqualTo(0.5);
    assertThat(tieRow.get("label_1").asDouble()).isEqualTo(0.5);
    List<JsonNode> rows = rows(objects).stream().filter(r -> r.get("label_source").asText().equals("reward_model")).toList();
    assertThat(rows).hasSize(3);
    assertThat(rows).extracting(r -> r.get("pair_id").asText()).containsExactlyInAnyOrder("r1-0>r1-1", "r2-1>r2-0", "r3-0>r3-2");
    JsonNode r1 = rows.stream().filter(r -> r.get("pair_id").asText().equals("r1-0>r1-1")).findFirst().orElseThrow();
    assertThat(r1.get("caption").asText()).isEqualTo("a red teapot");
    String chosen = r1.get("label_0").asDouble() == 1.0 ? r1.get("image_0_uri").asText() : r1.get("image_1_uri").asText();
    assertThat(chosen).isEqualTo("s3://b/r1-0>r1-1/chosen.png");
    assertThat(r1.get("split").asText()).isIn("train", "validation");
    assertThat(objects.keySet()).anyMatch(k -> k.contains("date=2026-11-24/")).anyMatch(k -> k.contains("date=2026-11-25/"));
    assertThat(rows.stream().filter(r -> r.get("pair_id").asText().startsWith("r2")).findFirst().orElseThrow().get("caption").asText())
        .isEqualTo("一只青花瓷茶壶");
    List<JsonNode> badCases = rows(read(s3, bucket, "datasets/bad-cases/"));
    assertThat(badCases).hasSize(2).allSatisfy(b -> assertThat(b.get("job_id").asText()).isEqualTo("TEA-003-1"));
    assertThat(badCases).extracting(b -> b.get("label_source").asText()).containsExactlyInAnyOrder("reward_model", "human");
    assertThat(badCases).filteredOn(b -> b.get("label_source").asText().equals("human")).singleElement()
        .satisfies(b -> assertThat(b.get("decision").asText()).isEqualTo("OVERTURNED"));

    PreferenceExporter.Summary second = exporter.run(topics);
    assertThat(second.rows()).containsEntry(PreferenceExporter.PREFERENCES, 0).containsEntry(PreferenceExporter.BAD_CASES, 0)
        .containsEntry(PreferenceExporter.HUMAN_PREFERENCES, 0).containsEntry(PreferenceExporter.HUMAN_VERDICTS, 0);
    assertThat(second.files()).isEmpty();
    assertThat(read(s3, bucket, "datasets/preferences/")).isEqualTo(objects);

    // The people's export died before its markers: the next run redoes its files only, beside the model's.
    for (String marker : read(s3, bucket, "datasets/_exports/human-preferences/").keySet()) {
      s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(marker).build());
    }
    PreferenceExporter.Summary redo = exporter.run(topics);
    assertThat(redo.rows()).containsEntry(PreferenceExporter.HUMAN_PREFERENCES, 2).containsEntry(PreferenceExporter.PREFERENCES, 0);
    assertThat(read(s3, bucket, "datasets/preferences/")).isEqualTo(objects);

    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      send(producer, topics.preferencePairs, "r4", pair("r4-0>r4-1", "a green vase"), DAY2);
      producer.flush();
    }
    PreferenceExporter.Summary third = exporter.run(topics);
    assertThat(third.rows()).containsEntry(PreferenceExporter.PREFERENCES, 1);
    assertThat(third.files()).hasSize(1);
    List<JsonNode> all = rows(read(s3, bucket, "datasets/preferences/"));
    assertThat(all).filteredOn(r -> r.get("label_source").asText().equals("reward_model"))
        .extracting(r -> r.get("pair_id").asText()).hasSize(4).doesNotHaveDuplicates();
    assertThat(all).filteredOn(r -> r.get("label_source").asText().equals("human")).hasSize(2);
  }

  static PreferencePair pair(String pairId, String caption) {
    return PreferencePair.newBuilder(ExampleEvents.pair()).setPairId(pairId).setOriginalPrompt(caption)
        .setChosenImageUri("s3://b/" + pairId + "/chosen.png").setRejectedImageUri("s3://b/" + pairId + "/rejected.png").build();
  }

  static HumanPreference judgement(String labelId, String pairId, String annotator, PreferenceChoice choice) {
    String[] jobs = pairId.split("~");
    return HumanPreference.newBuilder(ExampleEvents.humanPreference()).setLabelId(labelId).setPairId(pairId)
        .setRequestId(jobs[0].substring(0, jobs[0].lastIndexOf('-'))).setOriginalPrompt("a red teapot")
        .setImage0JobId(jobs[0]).setImage0Uri("s3://b/" + pairId + "/0.png").setImage1JobId(jobs[1]).setImage1Uri("s3://b/" + pairId + "/1.png")
        .setAnnotator(annotator).setChoice(choice).build();
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static <V> void send(KafkaProducer<byte[], byte[]> producer, Topic<String, V> topic, String key, V value, Instant at) {
    producer.send(new ProducerRecord<>(topic.name(), null, at.toEpochMilli(), key.getBytes(StandardCharsets.UTF_8),
        topic.valueSerde().serializer().serialize(topic.name(), value)));
  }

  private static Map<String, String> read(S3Client s3, String bucket, String prefix) {
    Map<String, String> out = new TreeMap<>();
    s3.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build()).contents().forEach(o ->
        out.put(o.key(), s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(o.key()).build()).asUtf8String()));
    return out;
  }

  private static List<JsonNode> rows(Map<String, String> objects) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String body : objects.values()) {
      for (String line : body.split("\n")) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
    }
    return out;
  }
}
