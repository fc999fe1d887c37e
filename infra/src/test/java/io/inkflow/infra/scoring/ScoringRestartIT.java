package io.inkflow.infra.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.scoring.ImageScorer;
import io.inkflow.streams.scoring.RewardPolicy;
import io.inkflow.streams.scoring.ScoringSettings;
import io.inkflow.streams.scoring.ScoringTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/** A restart with empty local state: the seen-jobs store comes back from its changelog, so a redelivered image is not scored twice. */
class ScoringRestartIT {
  static final String PREFIX = "scoring-restart-it.";
  static LocalStack stack;
  static RewardModel model;

  @TempDir Path state;

  @BeforeAll
  static void start() {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix(PREFIX).withPartitions(1));
    model = RewardModel.open(ScoringIT.REWARD_PACK, SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void stop() {
    if (model != null) {
      model.close();
    }
    stack.close();
  }

  private KafkaStreams startApp(Topics topics, String applicationId, Path stateDir) {
    StreamsSettings settings = new StreamsSettings(stack.connection().bootstrapServers(), stack.connection().registryUrl(),
        stateDir, PREFIX, 1, 100, Map.of(), Map.of());
    Properties props = settings.streamsProperties(applicationId);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    KafkaStreams app = new KafkaStreams(ScoringTopology.build(topics, ScoringSettings.defaults().withBatchSize(4),
        new S3ObjectStore(stack.connection().s3Client(), stack.connection().bucket()), ImageScorer.of(model),
        RewardPolicy.of(model.manifest())), props);
    app.start();
    return app;
  }

  @Test
  void aRedeliveryAfterARestartIsNotScoredAgain() {
    Topics topics = stack.topics();
    S3Client s3 = stack.connection().s3Client();
    String bucket = stack.connection().bucket();
    List<GeneratedImage> a = new ArrayList<>();
    List<GeneratedImage> b = new ArrayList<>();
    for (int v = 0; v < 4; v++) {
      for (String request : List.of("ra", "rb")) {
        String key = ObjectKeys.image("restart", request, v, 7 + v);
        s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).build(), RequestBody.fromBytes(ScoringIT.png(v + 2)));
        (request.equals("ra") ? a : b).add(ScoringIT.image("restart", request, v, 4, ObjectKeys.uri(bucket, key)));
      }
    }
    String applicationId = "scoring-restart-" + UUID.randomUUID();
    produce(topics, a);
    KafkaStreams first = startApp(topics, applicationId, state.resolve("first"));
    try {
      assertThat(readUntil(topics.requestResults, 1, r -> r.getRequestId().equals("ra"))).hasSize(1);
    } finally {
      first.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
    List<GeneratedImage> again = new ArrayList<>(List.of(a.get(0), a.get(3)));
    again.addAll(b);
    produce(topics, again);
    KafkaStreams second = startApp(topics, applicationId, state.resolve("second"));
    try {
      List<RequestResult> results = readUntil(topics.requestResults, 2, r -> r.getRequestId().equals("rb"));
      assertThat(results).extracting(RequestResult::getRequestId).containsExactly("ra", "rb");
      assertThat(results).allMatch(r -> r.getStatus() == RequestStatus.COMPLETED);
      List<ScoredImage> scored = readUntil(topics.imagesScored, 8, s -> false);
      assertThat(scored).extracting(s -> s.getImage().getJob().getJobId()).hasSize(8).doesNotHaveDuplicates();
    } finally {
      second.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
  }

  private static void produce(Topics topics, List<GeneratedImage> images) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
      for (GeneratedImage i : images) {
        producer.send(new ProducerRecord<>(topics.imagesGenerated.name(), i.getJob().getRequest().getRequestId().getBytes(StandardCharsets.UTF_8),
            topics.imagesGenerated.valueSerde().serializer().serialize(topics.imagesGenerated.name(), i)));
      }
      producer.flush();
    }
  }

  /**
   * Committed records from the start until one matches {@code last} or {@code atLeast} arrived (60 s
   * deadline), then whatever else is already there.
   */
  private static <V> List<V> readUntil(Topic<?, V> topic, int atLeast, Predicate<V> last) {
    List<V> out = new ArrayList<>();
    Map<String, Object> cfg = new HashMap<>();
    cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers());
    cfg.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<?, V> consumer = new KafkaConsumer<>(cfg, topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      boolean done = false;
      while (!done && System.nanoTime() < deadline) {
        for (ConsumerRecord<?, V> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
          done |= last.test(r.value());
        }
        done |= out.size() >= atLeast;
      }
      for (int empty = 0; empty < 3; ) {
        var batch = consumer.poll(Duration.ofMillis(300));
        if (batch.isEmpty()) {
          empty++;
        }
        batch.forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }
}
