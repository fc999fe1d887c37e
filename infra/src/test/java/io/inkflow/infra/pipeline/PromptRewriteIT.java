package io.inkflow.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.text.PackTokenizer;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.rewrite.PeLimits;
import io.inkflow.streams.rewrite.PromptRewriteTopology;
import io.inkflow.streams.rewrite.RequestPlanner;
import io.inkflow.streams.rewrite.RuleBasedRewriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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

/** The PE-rewrite topology on the real KRaft broker with exactly-once, including a restart that restores its state. */
class PromptRewriteIT {
  static final Path PACK = Path.of("models", "tiny-mmdit-flow").toAbsolutePath();
  /** Leave the group on close, so the restarted instance is assigned at once rather than after the session timeout. */
  static final CloseOptions LEAVE = CloseOptions.timeout(Duration.ofSeconds(30))
      .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
  static LocalStack stack;
  static PackTokenizer tokenizer;

  @TempDir Path state;

  @BeforeAll
  static void start() {
    // One partition: records are processed in the order sent, so a marker request proves all before it are done.
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("pe-it.").withPartitions(1));
  }

  @AfterAll
  static void stop() {
    if (tokenizer != null) {
      tokenizer.close();
    }
    stack.close();
  }

  private KafkaStreams startApp(Topics topics, String applicationId, Path stateDir) {
    PackManifest pack = PackManifest.read(PACK);
    if (tokenizer == null) {
      tokenizer = PackTokenizer.open(pack.tokenizer(), pack.dir());
    }
    RequestPlanner planner = new RequestPlanner(pack, tokenizer, PeLimits.defaults(), new RuleBasedRewriter());
    StreamsSettings settings = new StreamsSettings(stack.connection().bootstrapServers(), stack.connection().registryUrl(),
        stateDir, "pe-it.", 1, 100, Map.of(), Map.of());
    Properties props = settings.streamsProperties(applicationId);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    KafkaStreams streams = new KafkaStreams(PromptRewriteTopology.build(topics, planner, Duration.ofDays(7)), props);
    streams.start();
    return streams;
  }

  static PromptRequest request(String id, String prompt) {
    return PromptRequest.newBuilder().setRequestId(id).setBatchId("it").setPrompt(prompt).setNumImages(2)
        .setWidth(256).setHeight(256).setSubmittedAt(Instant.now()).build();
  }

  @Test
  void fansOutExactlyOnceDeadLettersBadInputAndRemembersIdentitiesAcrossARestart() throws Exception {
    Topics topics = stack.topics();
    assertThat(topics.promptRequests.partitions()).isEqualTo(1);
    String marker1 = "marker-1";
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int i = 0; i < 50; i++) {
        send(producer, topics, request("req-" + i, "a red circle number " + i));
      }
      for (int i = 0; i < 10; i++) {
        send(producer, topics, request("req-" + i, "a red circle number " + i)); // duplicates, later submittedAt
      }
      send(producer, topics, request("bad-1", "   "));
      send(producer, topics, PromptRequest.newBuilder(request("bad-2", "x")).setGuidanceScale(Float.NaN).build());
      send(producer, topics, request("req-3", "a different body")); // conflict
      producer.send(new ProducerRecord<>(topics.promptRequests.name(), "junk".getBytes(StandardCharsets.UTF_8), new byte[] {9, 9, 9}));
      send(producer, topics, request(marker1, "the marker"));
      producer.flush();
    }
    String applicationId = "pe-it-" + UUID.randomUUID();
    KafkaStreams app = startApp(topics, applicationId, state.resolve("first"));
    try {
      // 50 distinct requests and the marker, two variants each; the 10 resubmissions and the conflict add none.
      List<String> jobIds = readUntil(topics.generationJobs, 102, j -> j.getRequest().getRequestId().equals(marker1) && j.getVariant() == 1)
          .stream().map(GenerationJob::getJobId).toList();
      assertThat(jobIds).hasSize(102).doesNotHaveDuplicates().contains("req-49-1", "marker-1-1");
      List<byte[]> dead = readUntil(topics.promptRequestsDlq, 4, v -> false);
      assertThat(dead).hasSize(4);
      List<RequestResult> results = readUntil(topics.requestResults, 3, r -> false);
      assertThat(results).extracting(RequestResult::getRequestId).containsExactly("bad-1", "bad-2", "junk");
      assertThat(results).allMatch(r -> r.getStatus() == RequestStatus.REJECTED);
    } finally {
      app.close(LEAVE);
    }

    // The same application restarted with empty local state restores the identities from the changelog
    // and resumes after its committed offsets.
    String marker2 = "marker-2";
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      for (int i = 0; i < 50; i++) {
        send(producer, topics, request("req-" + i, "a red circle number " + i));
      }
      send(producer, topics, request(marker2, "the second marker"));
      producer.flush();
    }
    KafkaStreams again = startApp(topics, applicationId, state.resolve("second"));
    try {
      List<String> jobIds = readUntil(topics.generationJobs, 104, j -> j.getRequest().getRequestId().equals(marker2) && j.getVariant() == 1)
          .stream().map(GenerationJob::getJobId).toList();
      assertThat(jobIds).hasSize(104).doesNotHaveDuplicates();
      assertThat(jobIds.subList(102, 104)).containsExactly("marker-2-0", "marker-2-1");
    } finally {
      again.close(LEAVE);
    }
  }

  private static KafkaProducer<byte[], byte[]> producer() {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  private static void send(KafkaProducer<byte[], byte[]> producer, Topics topics, PromptRequest r) {
    producer.send(new ProducerRecord<>(topics.promptRequests.name(), r.getRequestId().getBytes(StandardCharsets.UTF_8),
        topics.promptRequests.valueSerde().serializer().serialize(topics.promptRequests.name(), r)));
  }

  private static <V> List<V> readUntil(Topic<?, V> topic, int atLeast, Predicate<V> last) {
    return TopicReader.readUntil(stack.connection().bootstrapServers(), topic, atLeast, last);
  }
}
