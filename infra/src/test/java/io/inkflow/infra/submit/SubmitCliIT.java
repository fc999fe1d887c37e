package io.inkflow.infra.submit;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.PromptRequest;
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
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The submit CLI against the real local stack, with the PE stage running for --wait; {@code get} against its S3. */
class SubmitCliIT {
  static LocalStack stack;
  @TempDir Path dir;

  @BeforeAll
  static void start() {
    stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("submit-it.").withPartitions(1));
  }

  @AfterAll
  static void stop() {
    stack.close();
  }

  private record Run(int status, String out, String err) {}

  private Run submit(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap-servers", stack.connection().bootstrapServers(),
        "--registry-url", stack.connection().registryUrl(), "--topic-prefix", "submit-it."));
    return cli(Map.of(), all.toArray(String[]::new));
  }

  /** {@code submit get …} with the S3 settings the local stack prints, as explicit keys. */
  private Run get(String... args) {
    return cli(Map.of("INKFLOW_S3_ENDPOINT", stack.connection().s3Endpoint().toString(),
        "INKFLOW_S3_ACCESS_KEY", stack.connection().s3AccessKey(),
        "INKFLOW_S3_SECRET_KEY", stack.connection().s3SecretKey()), args);
  }

  private static Run cli(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = SubmitCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env);
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static <V> List<V> readAll(Topic<?, V> topic) {
    return TopicReader.readAll(stack.connection().bootstrapServers(), topic);
  }


  @Test
  void submitsABatchDeterministicallyReportsBadRowsAndWaitsForResults() throws Exception {
    Topics topics = stack.topics();
    Path csv = dir.resolve("shoes.csv");
    Files.writeString(csv, """
        sku,prompt,width,height,num_images,category
        S-1,white running shoe,256,256,2,footwear
        S-2,red sneaker on white,256,256,1,footwear
        S-3,an enormous banner,100000,256,1,poster
        S-4,bad row,256,wide,1,footwear
        """);

    Run strict = submit("--csv", csv.toString(), "--strict");
    assertThat(strict.status()).isEqualTo(1);
    assertThat(strict.err()).contains("line 5: INVALID_FIELD: height 'wide': expected an integer").contains("nothing submitted");
    assertThat(readAll(topics.promptRequests)).isEmpty();
    assertThat(readAll(topics.batches)).isEmpty();

    Run first = submit("--csv", csv.toString());
    assertThat(first.status()).isZero();
    assertThat(first.out()).contains("batch shoes: 3 requests from shoes.csv (1 row(s) skipped)");
    Run again = submit("--csv", csv.toString());
    assertThat(again.status()).isZero();

    List<BatchSubmitted> batches = readAll(topics.batches);
    assertThat(batches).hasSize(2).allMatch(b -> b.getBatchId().equals("shoes") && b.getExpectedCount() == 3);
    List<PromptRequest> requests = readAll(topics.promptRequests);
    assertThat(requests).extracting(PromptRequest::getRequestId)
        .containsExactly("shoes.S-1", "shoes.S-2", "shoes.S-3", "shoes.S-1", "shoes.S-2", "shoes.S-3");

    // --wait against the PE stage: a batch of requests it refuses finishes with REJECTED results.
    Path refused = dir.resolve("refused.csv");
    Files.writeString(refused, """
        sku,prompt,width,height,steps
        R-1,too wide,100000,256,
        R-2,too many steps,256,256,9999
        """);
    KafkaStreams pe = startPe(topics);
    try {
      Run waited = submit("--csv", refused.toString(), "--wait", "--timeout", "PT60S");
      assertThat(waited.status()).as(waited.err()).isZero();
      assertThat(waited.out()).contains("results: {REJECTED=2}");
      assertThat(waited.err()).contains("2/2 requests");

      // status reads the same from the topics, after the submitter has gone.
      Run status = submit("status", "--batch", "refused");
      assertThat(status.status()).isZero();
      assertThat(status.out()).contains("batch refused: 2/2 requests answered, 0 images; {REJECTED=2}").contains("not complete yet");
      assertThat(submit("status", "--batch", "nope").status()).isEqualTo(1);

      // replay puts the chosen dead letters back on their source topic, bytes unchanged.
      int before = readAll(topics.promptRequests).size();
      Run replay = submit("replay", "--dlq", "prompt-requests.dlq", "--reason", "STEPS_OUT_OF_RANGE");
      assertThat(replay.status()).isZero();
      assertThat(replay.out()).contains("replayed 1 dead letter(s) from submit-it.prompt-requests.dlq with reason STEPS_OUT_OF_RANGE");
      List<PromptRequest> after = readAll(topics.promptRequests);
      assertThat(after).hasSize(before + 1);
      assertThat(after.get(after.size() - 1).getRequestId()).isEqualTo("refused.R-2");
    } finally {
      pe.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    }
  }

  @Test
  void getCopiesAnObjectOutOfS3ByteForByte() throws Exception {
    byte[] png = new byte[300_000];
    new Random(7).nextBytes(png); // every byte value, and more than one read buffer
    String key = "images/get-it/req-1/0-42.png";
    try (S3Client s3 = stack.connection().s3Client()) {
      s3.putObject(b -> b.bucket(stack.connection().bucket()).key(key), RequestBody.fromBytes(png));
    }
    Path file = dir.resolve("out.png");
    Files.writeString(file, "an older file, replaced");

    Run got = get("get", "s3://" + stack.connection().bucket() + "/" + key, "-o", file.toString());

    assertThat(got.status()).as(got.err()).isZero();
    assertThat(got.out()).contains("(300000 bytes)");
    assertThat(Files.readAllBytes(file)).isEqualTo(png);
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).containsExactly(file); // no .partial file left beside it
    }
  }

  @Test
  void getOfAMissingObjectExitsOneSayingWhatIsMissingAndWritesNothing() throws Exception {
    Path file = dir.resolve("missing.png");
    String uri = "s3://" + stack.connection().bucket() + "/images/get-it/nope.png";

    Run missing = get("get", uri, "-o", file.toString());
    assertThat(missing.status()).isEqualTo(1);
    assertThat(missing.err()).contains("no object " + uri + ": bucket '" + stack.connection().bucket() + "' has no key 'images/get-it/nope.png'");
    Run noBucket = get("get", "s3://no-such-bucket/a.png", "-o", file.toString());
    assertThat(noBucket.status()).isEqualTo(1);
    assertThat(noBucket.err()).contains("there is no bucket 'no-such-bucket'");
    try (Stream<Path> left = Files.list(dir)) {
      assertThat(left).isEmpty();
    }
  }

  private KafkaStreams startPe(Topics topics) {
    PackManifest pack = PackManifest.read(Path.of("models", "tiny-mmdit-flow").toAbsolutePath());
    PackTokenizer tokenizer = PackTokenizer.open(pack.tokenizer(), pack.dir());
    RequestPlanner planner = new RequestPlanner(pack, tokenizer, PeLimits.defaults(), new RuleBasedRewriter());
    StreamsSettings settings = new StreamsSettings(stack.connection().bootstrapServers(), stack.connection().registryUrl(),
        dir.resolve("state"), "submit-it.", 1, 100, Map.of(), Map.of());
    Properties props = settings.streamsProperties("submit-it-pe-" + UUID.randomUUID());
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    KafkaStreams streams = new KafkaStreams(PromptRewriteTopology.build(topics, planner, Duration.ofDays(7)), props);
    streams.start();
    return streams;
  }
}
