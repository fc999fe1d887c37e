package io.inkflow.bench.api;

import io.inkflow.api.ApiConfig;
import io.inkflow.api.ApiService;
import io.inkflow.api.auth.ApiTokens;
import io.inkflow.catalogue.Catalogue;
import io.inkflow.catalogue.CatalogueCheck;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.streams.rewrite.PackPlanner;
import io.inkflow.streams.rewrite.PeLimits;
import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test) of {@code POST /v1/batches}: an N-row CSV posted to the API on the in-process local
 * stack, timed from the request to the 202, which the API sends only after the whole batch is committed in
 * one Kafka transaction (the committed offsets of {@code prompt-requests} are checked after every round).
 * In the same run, alternating, the part of that work that needs neither HTTP nor Kafka: the same bytes read
 * and checked in-process with the same parser and PE planner, so the figures show where the time goes.
 */
@Command(name = "scripts/bench/api", mixinStandardHelpOptions = true, sortOptions = false,
    description = "POST /v1/batches with an N-row CSV on the local stack, against the in-process parse + plan of the same file.")
public final class ApiSubmitBench implements Callable<Integer> {
  private static final String TOKEN = "bench-submitter-token-0123456789";

  @Option(names = "--rows", paramLabel = "N", defaultValue = "10000", description = "rows of the CSV (default: ${DEFAULT-VALUE})")
  private int rows;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5",
      description = "reported rounds, after one unreported warm-up round; sides alternate (default: ${DEFAULT-VALUE})")
  private int rounds;

  @Option(names = "--pack", paramLabel = "DIR", defaultValue = "infra/models/mini-mmdit-flow",
      description = "the pack uploads are planned for (default: ${DEFAULT-VALUE})")
  private Path pack;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ApiSubmitBench()).execute(args));
  }

  static String csv(int rows) {
    StringBuilder b = new StringBuilder("sku,prompt,width,height,num_images,category\n");
    String[] subjects = {"a blue porcelain tea cup on white", "青花瓷茶杯，白色背景，产品摄影", "a red ceramic mug, studio light",
        "a poster that says \"SALE\"", "手绘风格的月饼礼盒", "a wooden chair in a bright room"};
    for (int i = 0; i < rows; i++) {
      b.append("SKU-").append(i).append(",\"").append(subjects[i % subjects.length].replace("\"", "\"\"")).append(" #").append(i)
          .append("\",").append(i % 2 == 0 ? "512,512" : "512,768").append(',').append(1 + i % 4).append(",cat-").append(i % 7).append('\n');
    }
    return b.toString();
  }

  @Override
  public Integer call() throws Exception {
    String body = csv(rows);
    Path dir = Files.createTempDirectory("inkflow-api-bench");
    Files.writeString(dir.resolve("tokens.txt"), "bench submitter " + ApiTokens.hashHex(TOKEN, null) + "\n");
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("bench.").withPartitions(6));
         RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryClientConfig.of(stack.connection().registryUrl()));
         PackPlanner planner = PackPlanner.open(pack, PeLimits.defaults())) {
      Map<String, String> env = new HashMap<>(stack.connection().asEnv());
      env.put("INKFLOW_TOPIC_PREFIX", "bench.");
      env.put("INKFLOW_TOPIC_PARTITIONS", "6");
      env.put("INKFLOW_PACK_DIR", pack.toString());
      env.put("INKFLOW_API_PORT", "0");
      env.put("INKFLOW_API_TOKENS_FILE", dir.resolve("tokens.txt").toString());
      env.put("INKFLOW_API_RATE_LIMIT", "100000");
      Topics topics = Topics.create(registry, "bench.", 6, true);
      try (ApiService api = ApiService.start(ApiConfig.fromEnv(env), topics, Clock.systemUTC(), List.of());
           KafkaConsumer<byte[], byte[]> offsets = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
               stack.connection().bootstrapServers(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
               new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        List<TopicPartition> parts = offsets.partitionsFor(topics.promptRequests.name()).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        HttpClient http = HttpClient.newHttpClient();
        List<Double> post = new ArrayList<>();
        List<Double> local = new ArrayList<>();
        List<Double> readable = new ArrayList<>();
        System.out.printf("POST /v1/batches, %d rows (%d KiB), pack %s; %d rounds after a warm-up%n", rows, body.length() / 1024,
            pack.getFileName(), rounds);
        for (int round = 0; round <= rounds; round++) {
          boolean postFirst = round % 2 == 0;
          for (int side = 0; side < 2; side++) {
            if ((side == 0) == postFirst) {
              long before = committed(offsets, parts);
              long t0 = System.nanoTime();
              HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                      + "/v1/batches?batch_id=bench-" + round)).header("Authorization", "Bearer " + TOKEN)
                  .header("Content-Type", "text/csv").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                  HttpResponse.BodyHandlers.ofString());
              double s = (System.nanoTime() - t0) / 1e9;
              // The 202 follows the transaction's commit; its markers reach the partitions a moment later, so the
              // records count as produced once read_committed readers can see all of them.
              long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
              long produced = committed(offsets, parts) - before;
              while (produced < rows && System.nanoTime() < deadline) {
                produced = committed(offsets, parts) - before;
              }
              double visible = (System.nanoTime() - t0) / 1e9;
              // Each transaction adds one commit marker per partition it wrote to.
              if (r.statusCode() != 202 || produced < rows || produced > rows + parts.size()) {
                System.out.printf("round %d: status %d, %d offsets committed for %d rows: %s%n", round, r.statusCode(), produced, rows,
                    r.body().substring(0, Math.min(300, r.body().length())));
                return 1;
              }
              if (round > 0) {
                post.add(s);
                readable.add(visible);
              }
              System.out.printf("round %d  POST → 202 (committed)  %.3f s; all %d records readable at %.3f s%n", round, s, rows, visible);
            } else {
              long t0 = System.nanoTime();
              Catalogue.Result read = Catalogue.read(new StringReader(body), Catalogue.Format.CSV, "local-" + round, "sku", Instant.now());
              CatalogueCheck.Report report = CatalogueCheck.check(read, planner, Instant.now());
              double s = (System.nanoTime() - t0) / 1e9;
              if (report.refusals() > 0 || read.entries().size() != rows) {
                System.out.println("the in-process check refused rows: " + report.findings().subList(0, 3));
                return 1;
              }
              if (round > 0) {
                local.add(s);
              }
              System.out.printf("round %d  parse + plan in-process  %.3f s%n", round, s);
            }
          }
        }
        System.out.printf("POST /v1/batches (%d rows, accepted and committed): median %.3f s, min %.3f, max %.3f (n=%d)%n", rows,
            median(post), Collections.min(post), Collections.max(post), post.size());
        System.out.printf("until every record is readable (read_committed): median %.3f s, min %.3f, max %.3f%n", median(readable),
            Collections.min(readable), Collections.max(readable));
        System.out.printf("parse + plan alone: median %.3f s, min %.3f, max %.3f; share of the POST %.0f %%%n", median(local),
            Collections.min(local), Collections.max(local), 100 * median(local) / median(post));
        System.out.printf("target < 5 s: %s%n", Collections.max(readable) < 5 ? "met in every round" : "NOT met");
      }
    }
    return 0;
  }

  private static long committed(KafkaConsumer<?, ?> c, List<TopicPartition> parts) {
    return c.endOffsets(parts, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
