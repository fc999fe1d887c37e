package io.inkflow.infra.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.avro.Verdict;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.scoring.ImageScorer;
import io.inkflow.streams.scoring.RewardPolicy;
import io.inkflow.streams.scoring.ScoringSettings;
import io.inkflow.streams.scoring.ScoringTopology;
import io.inkflow.testing.ExampleEvents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
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
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/** The scoring topology on the real broker, S3 server and registry, with the tiny reward pack. */
class ScoringIT {
  static final Path REWARD_PACK = Path.of("models", "tiny-reward").toAbsolutePath();
  static final String PREFIX = "scoring-it.";
  static LocalStack stack;
  static RewardModel model;

  @TempDir Path state;

  @BeforeAll
  static void start() {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix(PREFIX).withPartitions(1));
    model = RewardModel.open(REWARD_PACK, SessionOptionsConfig.cpu());
  }

  @AfterAll
  static void stop() {
    if (model != null) {
      model.close();
    }
    stack.close();
  }

  static GeneratedImage image(String batchId, String requestId, int variant, int numVariants, String uri) {
    PromptRequest request = PromptRequest.newBuilder(ExampleEvents.request()).setRequestId(requestId).setBatchId(batchId)
        .setNumImages(numVariants).setSubmittedAt(Instant.now()).build();
    GenerationJob job = GenerationJob.newBuilder(ExampleEvents.job()).setRequest(request).setVariant(variant)
        .setNumVariants(numVariants).setJobId(requestId + "-" + variant).setSeed(7 + variant).build();
    return GeneratedImage.newBuilder(ExampleEvents.image()).setJob(job).setImageUri(uri).setDeliveredSize(new Size(64, 64)).build();
  }

  static byte[] png(int seed) {
    byte[] rgb = new byte[64 * 64 * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (i * seed + (i >> 7));
    }
    return PngEncoder.standard().encode(new RgbImage(64, 64, rgb), Map.of("job_id", "x"));
  }

  @Test
  void scoresFinishesRequestsAndBatchesAndWritesTheManifest() throws Exception {
    Topics topics = stack.topics();
    S3Client s3 = stack.connection().s3Client();
    String bucket = stack.connection().bucket();
    String batchId = "it-" + UUID.randomUUID().toString().substring(0, 8);
    List<GeneratedImage> images = new ArrayList<>();
    for (int v = 0; v < 3; v++) {
      String key = ObjectKeys.image(batchId, "good", v, 7 + v);
      s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).build(), RequestBody.fromBytes(png(v + 3)));
      images.add(image(batchId, "good", v, 3, ObjectKeys.uri(bucket, key)));
    }
    images.add(image(batchId, "missing", 0, 1, ObjectKeys.uri(bucket, "images/" + batchId + "/missing/0-7.png")));
    images.add(GeneratedImage.newBuilder(image(batchId, "failed", 0, 1, null)).setStatus(ImageStatus.FAILED)
        .setErrorCode("MAX_ATTEMPTS").build());
    images.add(images.get(0)); // a redelivery

    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
      producer.send(record(topics.batches, batchId, BatchSubmitted.newBuilder().setBatchId(batchId).setExpectedCount(4)
          .setSubmitter("it").setSubmittedAt(Instant.now()).build()));
      producer.send(record(topics.requestResults, "refused", RequestResult.newBuilder().setRequestId("refused").setBatchId(batchId)
          .setStatus(RequestStatus.REJECTED).setReasonCode("BLOCKED_CONTENT").setNumVariants(0).setCompletedAt(Instant.now()).build()));
      for (GeneratedImage i : images) {
        producer.send(record(topics.imagesGenerated, i.getJob().getRequest().getRequestId(), i));
      }
      producer.flush();
    }

    StreamsSettings settings = new StreamsSettings(stack.connection().bootstrapServers(), stack.connection().registryUrl(),
        state, PREFIX, 1, 100, Map.of(), Map.of());
    Properties props = settings.streamsProperties("scoring-it-" + UUID.randomUUID());
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    ScoringSettings scoring = ScoringSettings.defaults().withBatchSize(4).withRequestTimeout(Duration.ofMinutes(5));
    KafkaStreams app = new KafkaStreams(ScoringTopology.build(topics, scoring, new S3ObjectStore(s3, bucket),
        ImageScorer.of(model), RewardPolicy.of(model.manifest())), props);
    app.start();
    try {
      List<BatchResult> batchResults = readUntil(topics.batchResults, 1);
      assertThat(batchResults).singleElement().satisfies(b -> {
        assertThat(b.getBatchId()).isEqualTo(batchId);
        assertThat(b.getExpectedCount()).isEqualTo(4);
        assertThat(b.getCompleted()).isEqualTo(1);
        assertThat(b.getFailed()).isEqualTo(2);
        assertThat(b.getRejected()).isEqualTo(1);
        assertThat(b.getImagesGenerated()).isEqualTo(3);
        assertThat(b.getManifestUri()).isEqualTo(ObjectKeys.uri(bucket, ObjectKeys.manifest(batchId)));
      });

      List<ScoredImage> scored = readUntil(topics.imagesScored, 5);
      assertThat(scored).hasSize(5);
      assertThat(scored).extracting(s -> s.getImage().getJob().getJobId()).doesNotHaveDuplicates();
      assertThat(scored).filteredOn(s -> s.getVerdict() != Verdict.FAILED).hasSize(3).allSatisfy(s -> {
        assertThat(s.getRewardPackId()).isEqualTo(model.manifest().id());
        assertThat(s.getOverallScore()).isBetween(0.0, 1.0);
        assertThat(s.getScores()).extracting(r -> r.getReward()).contains("aesthetic", "alignment_rewritten", "text_rendering");
      });

      List<RequestResult> results = readUntil(topics.requestResults, 4);
      assertThat(results).extracting(RequestResult::getRequestId).containsExactlyInAnyOrder("refused", "good", "missing", "failed");
      RequestResult good = results.stream().filter(r -> r.getRequestId().equals("good")).findFirst().orElseThrow();
      assertThat(good.getStatus()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(good.getVariants()).hasSize(3);
      assertThat(good.getVariants().get(0).getScore()).isGreaterThanOrEqualTo(good.getVariants().get(2).getScore());

      assertThat(readUntil(topics.imagesGeneratedDlq, 1)).hasSize(1);

      String manifest = new String(s3.getObjectAsBytes(GetObjectRequest.builder().bucket(bucket).key(ObjectKeys.manifest(batchId)).build())
          .asByteArray(), StandardCharsets.UTF_8);
      assertThat(manifest.split("\n")).hasSize(4);
      assertThat(manifest).contains("\"requestId\":\"good\"", "\"status\":\"REJECTED\"", "\"status\":\"COMPLETED\"");
    } finally {
      app.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
  }

  private static <V> ProducerRecord<byte[], byte[]> record(Topic<String, V> topic, String key, V value) {
    return new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8), topic.valueSerde().serializer().serialize(topic.name(), value));
  }

  private static <V> List<V> readUntil(Topic<?, V> topic, int atLeast) {
    return TopicReader.readUntil(stack.connection().bootstrapServers(), topic, atLeast, v -> false);
  }

}
