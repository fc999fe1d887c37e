package io.inkflow.infra.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.infra.demo.DemoMain;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.storage.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A catalogue through every stage — PE rewrite, generation worker, scoring, batch completion — on the
 * local stack, the services running as child JVMs exactly as {@code scripts/demo} runs them.
 */
class EndToEndIT {
  private static final byte[] JUNK = "not avro at all".getBytes(StandardCharsets.UTF_8);
  @TempDir Path dir;

  @Test
  void aCatalogueWithBadRowsEndsAsOneResultPerRequestAndOneBatchResult() throws Exception {
    Path csv = dir.resolve("e2e.csv");
    Files.writeString(csv, """
        sku,prompt,width,height,num_images,category
        E-1,蓝色背景，左边是黄色圆环，右边是红色方形,48,48,2,shapes
        E-2,"a red circle on the left of a blue background",64,48,2,shapes
        E-3,"a black triangle in the middle, on a white background, with the text \"\"福\"\"\",48,64,1,shapes-text
        E-4,a banner far too wide,100000,48,1,shapes
        E-1,a duplicate key,48,48,1,shapes
        E-5,not a number,48,tall,1,shapes
        """, StandardCharsets.UTF_8);
    Path out = dir.resolve("out");
    List<byte[]> promptDlq = new ArrayList<>();
    List<byte[]> imagesDlq = new ArrayList<>();
    Map<String, RequestResult> standalone = new java.util.concurrent.ConcurrentHashMap<>();
    List<BatchResult> batchResults = new ArrayList<>();
    List<String> standaloneObjects = new ArrayList<>();
    DemoMain.Hooks hooks = new DemoMain.Hooks() {
      @Override
      public void beforeSubmit(LocalStack stack) throws Exception {
        // Unreadable records on both input topics of the streams: bytes that are no Avro at all.
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.<String, Object>of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
          p.send(new ProducerRecord<>(stack.topics().promptRequests.name(), "junk-1".getBytes(StandardCharsets.UTF_8), JUNK)).get();
          p.send(new ProducerRecord<>(stack.topics().imagesGenerated.name(), "junk-2".getBytes(StandardCharsets.UTF_8), JUNK)).get();
          // Stand-alone requests, as a content pipeline sends them: no batch, every optional field at its default.
          var requests = stack.topics().promptRequests;
          for (PromptRequest r : STANDALONE) {
            p.send(new ProducerRecord<>(requests.name(), r.getRequestId().getBytes(StandardCharsets.UTF_8),
                requests.valueSerde().serializer().serialize(requests.name(), r))).get();
          }
        }
      }

      @Override
      public void afterBatch(LocalStack stack) {
        String bootstrap = stack.connection().bootstrapServers();
        promptDlq.addAll(TopicReader.readUntil(bootstrap, stack.topics().promptRequestsDlq, 1, v -> false));
        imagesDlq.addAll(TopicReader.readUntil(bootstrap, stack.topics().imagesGeneratedDlq, 1, v -> false));
        await("stand-alone results").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
          standalone.clear();
          TopicReader.readAll(bootstrap, stack.topics().requestResults).stream()
              .filter(r -> r.getRequestId().startsWith("solo-")).forEach(r -> standalone.put(r.getRequestId(), r));
          return standalone.size() == STANDALONE.size();
        });
        batchResults.addAll(TopicReader.readAll(bootstrap, stack.topics().batchResults));
        try (S3Client s3 = stack.connection().s3Client()) {
          s3.listObjectsV2Paginator(b -> b.bucket(stack.connection().bucket()).prefix("images/" + ObjectKeys.STANDALONE + "/"))
              .contents().forEach(o -> standaloneObjects.add(o.key()));
        }
      }
    };
    int status = new CommandLine(new DemoMain(hooks)).execute("--output", out.toString(), "--catalog", csv.toString(),
        "--pack", Path.of("models", "mini-mmdit-flow").toString(), "--reward-pack", Path.of("models", "mini-reward").toString(),
        "--timeout", "PT5M");
    assertThat(status).as("demo exit status; service logs in " + out.resolve("logs")).isZero();

    // Four requests made it past the catalogue reader (the duplicate and the malformed row were reported
    // and skipped); the PE stage refused one; every one has exactly one row in the manifest.
    List<JsonNode> rows = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(out.resolve("manifest.jsonl"), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        rows.add(json.readTree(line));
      }
    }
    assertThat(rows).extracting(r -> r.get("requestId").asText())
        .containsExactlyInAnyOrder("e2e.E-1", "e2e.E-2", "e2e.E-3", "e2e.E-4");
    assertThat(rows).filteredOn(r -> r.get("requestId").asText().equals("e2e.E-4"))
        .singleElement().satisfies(r -> {
          assertThat(r.get("status").asText()).isEqualTo("REJECTED");
          assertThat(r.get("reasonCode").asText()).isEqualTo("SIZE_OUT_OF_RANGE");
        });
    assertThat(rows).filteredOn(r -> !r.get("requestId").asText().equals("e2e.E-4"))
        .allSatisfy(r -> {
          assertThat(r.get("status").asText()).isEqualTo("COMPLETED");
          assertThat(r.get("bestImageUri").asText()).startsWith("s3://inkflow-images/images/e2e/");
        });
    try (Stream<Path> images = Files.list(out.resolve("images"))) {
      assertThat(images.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("E-1.png", "E-2.png", "E-3.png");
    }
    assertThat(out.resolve("contact-sheet.png")).isNotEmptyFile();

    // The unreadable records ended as dead letters with their bytes unchanged (the PE stage also
    // dead-lettered the request it refused).
    assertThat(promptDlq).anyMatch(v -> Arrays.equals(v, JUNK));
    assertThat(imagesDlq).containsExactly(JUNK);

    // Stand-alone requests: generated, scored and answered like any other, their images under their own
    // prefix, and no batch result for them.
    assertThat(standalone.values()).allSatisfy(r -> {
      assertThat(r.getStatus()).as(r.getRequestId() + ": " + r.getReasonMessage()).isEqualTo(RequestStatus.COMPLETED);
      assertThat(r.getBatchId()).isNull();
      assertThat(r.getBestVariant().getImageUri()).startsWith("s3://inkflow-images/images/_standalone/" + r.getRequestId() + "/");
    });
    assertThat(standalone.get("solo-2").getVariants()).hasSize(2);
    assertThat(standaloneObjects).hasSize(3).allMatch(k -> k.startsWith("images/_standalone/solo-"));
    assertThat(batchResults).extracting(BatchResult::getBatchId).containsOnly("e2e");
  }

  private static final List<PromptRequest> STANDALONE = List.of(
      PromptRequest.newBuilder().setRequestId("solo-1").setPrompt("a red circle on a blue background")
          .setSubmittedAt(Instant.parse("2026-12-01T00:00:00Z")).build(),
      PromptRequest.newBuilder().setRequestId("solo-2").setPrompt("白色背景，中间是黑色三角形").setNumImages(2)
          .setSubmittedAt(Instant.parse("2026-12-01T00:00:00Z")).build());
}
