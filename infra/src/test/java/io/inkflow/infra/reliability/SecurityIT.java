package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.infra.local.EmbeddedS3;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Security basics on the running pipeline: object keys never hold an unsanitised id, even for jobs
 * that bypass the PE stage, and no credential handed to the services (S3 secret key, registry
 * password, Kafka SASL and TLS passwords) shows up in any log, topic record or stored object.
 */
class SecurityIT {
  private static final Pattern IMAGE_KEY = Pattern.compile("images/[A-Za-z0-9_-][A-Za-z0-9._-]*/[A-Za-z0-9_-][A-Za-z0-9._-]*/\\d+-\\d+\\.png");
  private static final Pattern MANIFEST_KEY = Pattern.compile("manifests/[A-Za-z0-9_-][A-Za-z0-9._-]*/manifest\\.jsonl");

  @TempDir Path dir;

  private static String secret(String what, Random random) {
    byte[] b = new byte[12];
    random.nextBytes(b);
    return what + "-" + HexFormat.of().formatHex(b);
  }

  /** A job written straight to generation-jobs, as a buggy or hostile producer could: its ids are not checked by the PE stage. */
  private static GenerationJob job(String batchId, String requestId) {
    PromptRequest request = PromptRequest.newBuilder().setRequestId(requestId).setBatchId(batchId).setPrompt("a plain mug")
        .setNumImages(1).setWidth(256).setHeight(256).setSubmittedAt(Instant.now()).build();
    return GenerationJob.newBuilder().setRequest(request).setVariant(0).setNumVariants(1).setJobId(requestId + "-0")
        .setNormalizedPrompt("a plain mug").setRewrittenPrompt("a plain mug").setRewriteStrategy("passthrough").setRewriteVersion("1")
        .setSize(new Size(256, 256)).setSteps(2).setGuidanceScale(4.5f).setSeed(5L).setPackId("tiny-mmdit-flow")
        .setPackVersion("0.1.0").setCreatedAt(Instant.now()).build();
  }

  @Test
  void keysAreSanitisedAndNoCredentialLeaksIntoLogsEventsOrObjects() throws Exception {
    Random random = new Random();
    String s3Secret = secret("s3secret", random);
    String registryPassword = secret("regpass", random);
    String saslPassword = secret("saslpass", random);
    String truststorePassword = secret("tspass", random);
    List<String> secrets = List.of(s3Secret, registryPassword, saslPassword, truststorePassword);
    LocalStackConfig config = new LocalStackConfig(null, 0, 0, 0, 0, EmbeddedS3.Storage.TRANSIENT, LocalStackConfig.DEFAULT_BUCKET,
        "it-access-key", s3Secret, "security-it.", 2, Duration.ofSeconds(60));
    try (Pipeline p = Pipeline.start(dir, config)) {
      // Credentials every service is handed. The local broker speaks PLAINTEXT, so the SASL and TLS
      // settings are carried but unused: what matters here is where their values end up.
      p.withEnv(Map.of(
          "INKFLOW_REGISTRY_CLIENT_BASIC_AUTH_USER_INFO", "svc:" + registryPassword,
          "INKFLOW_KAFKA_CLIENT_SASL_MECHANISM", "PLAIN",
          "INKFLOW_KAFKA_CLIENT_SASL_JAAS_CONFIG",
          "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"svc\" password=\"" + saslPassword + "\";",
          "INKFLOW_KAFKA_CLIENT_SSL_TRUSTSTORE_PASSWORD", truststorePassword));
      p.startAll();
      Topics topics = p.topics();

      // Ids a PE-bypassing producer could send: each must land under its own, sanitised key.
      List<GenerationJob> direct = new ArrayList<>();
      for (String[] ids : new String[][] {{"sec", "a/b"}, {"sec", "a_b"}, {"sec", "a\\b"}, {"../../up", "../../escape"},
          {"sec", ".."}, {"sec", "x".repeat(300)}, {"sec", "春/夏"}}) {
        direct.add(job(ids[0], ids[1]));
      }
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
          p.bootstrap()), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (GenerationJob j : direct) {
          producer.send(new ProducerRecord<>(topics.generationJobs.name(), j.getJobId().getBytes(StandardCharsets.UTF_8),
              topics.generationJobs.valueSerde().serializer().serialize(topics.generationJobs.name(), j))).get();
        }
      }
      String batch = "security";
      List<PromptRequest> requests = Pipeline.requests(batch, 4, 1);
      p.submit(batch, requests);
      p.awaitBatch(batch, Duration.ofMinutes(3));
      p.assertNothingLostOrRepeated(batch, requests);
      Set<String> directJobs = direct.stream().map(GenerationJob::getJobId).collect(Collectors.toSet());
      p.awaitRecords(topics.imagesScored, direct.size(), s -> directJobs.contains(s.getImage().getJob().getJobId()), Duration.ofMinutes(2));

      // Every object key is one of the two shapes, built from sanitised segments; each direct job has its own object.
      Map<String, ScoredImage> scored = TopicReader.readAll(p.bootstrap(), topics.imagesScored).stream()
          .collect(Collectors.toMap(s -> s.getImage().getJob().getJobId(), Function.identity(), (a, b) -> a));
      p.assertImageKeysBelongToTheirJobs(scored);
      assertThat(direct).allSatisfy(j -> {
        var image = scored.get(j.getJobId()).getImage();
        assertThat(image.getImageUri()).as(j.getJobId() + ": " + image.getStatus() + " " + image.getErrorCode() + " " + image.getErrorMessage())
            .isNotNull();
      });
      assertThat(direct.stream().map(j -> scored.get(j.getJobId()).getImage().getImageUri()).distinct()).hasSize(direct.size());
      String bucket = p.stack.connection().bucket();
      List<String> objects = new ArrayList<>();
      try (S3Client s3 = p.stack.connection().s3Client()) {
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
          assertThat(IMAGE_KEY.matcher(o.key()).matches() || MANIFEST_KEY.matcher(o.key()).matches()).as("key " + o.key()).isTrue();
          assertThat(o.key()).doesNotContain("..");
          ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(b -> b.bucket(bucket).key(o.key()));
          String text = bytes.asString(StandardCharsets.ISO_8859_1) + bytes.response().metadata();
          objects.add(o.key());
          for (String secret : secrets) {
            assertThat(text).as("object " + o.key()).doesNotContain(secret);
          }
        }
      }
      assertThat(objects).as("objects checked").hasSizeGreaterThanOrEqualTo(requests.size() + direct.size() + 1);

      // No secret in any record (key, value or header) of any topic, internal ones included.
      int records = 0;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", p.bootstrap()))) {
        for (String topic : admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true)).names().get()) {
          for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAllRaw(p.bootstrap(), topic)) {
            records++;
            StringBuilder text = new StringBuilder();
            text.append(r.key() == null ? "" : new String(r.key(), StandardCharsets.ISO_8859_1))
                .append(r.value() == null ? "" : new String(r.value(), StandardCharsets.ISO_8859_1));
            for (Header h : r.headers()) {
              text.append(h.key()).append(h.value() == null ? "" : new String(h.value(), StandardCharsets.ISO_8859_1));
            }
            for (String secret : secrets) {
              assertThat(text.toString()).as(topic + "-" + r.partition() + "@" + r.offset()).doesNotContain(secret);
            }
          }
        }
      }
      assertThat(records).as("records checked").isGreaterThan(50);

      // Nor in any service log; the settings lines that name the credentials were logged, masked.
      String logs = p.allLogs();
      for (String secret : secrets) {
        assertThat(logs).as("service logs").doesNotContain(secret);
      }
      assertThat(logs).contains("it-access-key:****").contains("sasl.jaas.config=****");
      p.assertAllAlive();
    }
  }
}
