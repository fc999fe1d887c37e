package io.inkflow.infra.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.avro.StageTimings;
import io.inkflow.avro.Verdict;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.infra.demo.ServiceProcess;
import io.inkflow.infra.testing.TopicReader;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import io.inkflow.streams.scoring.ScoringApp;
import io.inkflow.workers.generate.GenerationWorkerMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Bounded memory: a burst of 10k requests against services with small heaps, and image bombs in S3
 * that the scorer must refuse from their header, without decoding them.
 */
class ResourceBoundsIT {
  private static final int BURST = 10_000;
  private static final Pattern JOBS_IN_FLIGHT = Pattern.compile("(?m)^inkflow_worker_jobs_in_flight(?:\\{[^}]*})? ([0-9.Ee+-]+)$");

  @TempDir Path dir;

  /** Heap in use (young + old, KiB) and old generation in use (KiB), from {@code jstat -gc}. */
  private record Heap(double usedKb, double oldUsedKb) {}

  private static Heap heap(long pid) throws IOException, InterruptedException {
    Path jstat = Path.of(System.getProperty("java.home"), "bin", "jstat");
    Process p = new ProcessBuilder(jstat.toString(), "-gc", Long.toString(pid)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String[] lines = out.strip().split("\\R");
    assertThat(lines).as("jstat -gc " + pid + ": " + out).hasSizeGreaterThanOrEqualTo(2);
    String[] names = lines[0].trim().split("\\s+");
    String[] values = lines[lines.length - 1].trim().split("\\s+");
    Map<String, Double> v = new HashMap<>();
    for (int i = 0; i < names.length && i < values.length; i++) {
      if (values[i].matches("[0-9.,]+")) { // a collector without some spaces prints "-"
        v.put(names[i], Double.parseDouble(values[i].replace(',', '.')));
      }
    }
    return new Heap(v.get("S0U") + v.get("S1U") + v.get("EU") + v.get("OU"), v.get("OU"));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static double jobsInFlight(HttpClient http, int port) throws Exception {
    String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = JOBS_IN_FLIGHT.matcher(body);
    return m.find() ? Double.parseDouble(m.group(1)) : -1; // registered once the worker runs
  }

  private static long endOffsets(String bootstrap, String topic) {
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "isolation.level", "read_committed"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      // Under read_committed the position after seekToEnd is the last stable offset.
      c.assign(parts);
      c.seekToEnd(parts);
      return parts.stream().mapToLong(c::position).sum();
    }
  }

  @Test
  void aBurstOf10kRequestsStaysWithinEveryServicesHeapAndTheWorkersInFlightBound() throws Exception {
    int batchSize = 4;
    int queuedBatches = 2;
    int metricsPort = freePort();
    try (Pipeline p = Pipeline.start(dir, "burst-it.")) {
      List<String> small = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError");
      ServiceProcess pe = p.start(Pipeline.PE, PromptRewriteApp.class, Map.of("INKFLOW_STATE_DIR", dir.resolve("state-pe").toString()), small);
      ServiceProcess worker = p.start(Pipeline.WORKER, GenerationWorkerMain.class, Map.of("INKFLOW_WORKER_METRICS_PORT",
          Integer.toString(metricsPort), "INKFLOW_WORKER_BATCH_SIZE", Integer.toString(batchSize),
          "INKFLOW_WORKER_QUEUED_BATCHES", Integer.toString(queuedBatches)),
          List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"));
      ServiceProcess scoring = p.start(Pipeline.SCORING, ScoringApp.class,
          Map.of("INKFLOW_STATE_DIR", dir.resolve("state-scoring").toString()), List.of("-Xmx256m", "-XX:+UseSerialGC",
              "-XX:+ExitOnOutOfMemoryError"));
      Map<ServiceProcess, Double> maxHeapKb = Map.of(pe, 192 * 1024.0, worker, 256 * 1024.0, scoring, 256 * 1024.0);
      Map<ServiceProcess, Double> peakOld = new LinkedHashMap<>();
      HttpClient http = HttpClient.newHttpClient();
      await("the worker's jobs-in-flight gauge").atMost(Duration.ofMinutes(1)).ignoreExceptions()
          .until(() -> jobsInFlight(http, metricsPort) >= 0);

      String batch = "burst";
      List<PromptRequest> requests = Pipeline.requests(batch, BURST, 1);
      long t0 = System.nanoTime();
      p.submit(batch, requests);
      double submitSeconds = (System.nanoTime() - t0) / 1e9;

      // The PE stage takes the whole burst; the worker holds at most its bounded hand-off while the rest waits in Kafka.
      double[] peakInFlight = {0};
      long[] jobs = {0};
      // WorkerConfig.maxInFlightJobs (polling pauses there; 2 output threads) plus one poll's worth that may land first.
      int bound = batchSize * (queuedBatches + 2) + 2 + Math.max(batchSize, 16);
      await("the PE stage turned the burst into jobs").atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        p.assertAllAlive();
        peakInFlight[0] = Math.max(peakInFlight[0], jobsInFlight(http, metricsPort));
        for (ServiceProcess s : maxHeapKb.keySet()) {
          peakOld.merge(s, heap(s.pid()).oldUsedKb(), Math::max);
        }
        jobs[0] = endOffsets(p.bootstrap(), p.topics().generationJobs.name());
        return jobs[0] >= BURST; // offsets: records plus transaction markers
      });
      // Keep sampling while the worker chews through the backlog.
      long images0 = endOffsets(p.bootstrap(), p.topics().imagesGenerated.name());
      await("the worker made progress under the backlog").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        p.assertAllAlive();
        peakInFlight[0] = Math.max(peakInFlight[0], jobsInFlight(http, metricsPort));
        for (ServiceProcess s : maxHeapKb.keySet()) {
          peakOld.merge(s, heap(s.pid()).oldUsedKb(), Math::max);
        }
        return endOffsets(p.bootstrap(), p.topics().imagesGenerated.name()) >= images0 + 12 * batchSize;
      });
      System.out.printf("burst: %d requests sent in %.1f s; %d jobs; peak worker in-flight %.0f (bound %d); peak old gen KiB %s%n",
          BURST, submitSeconds, jobs[0], peakInFlight[0], bound,
          peakOld.entrySet().stream().collect(Collectors.toMap(e -> e.getKey().name(), e -> Math.round(e.getValue()))));

      // (End offsets count transaction markers too: count the records.)
      await("one job per request of the burst").atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() ->
          assertThat(TopicReader.readAllRaw(p.bootstrap(), p.topics().generationJobs.name())).hasSize(BURST));
      assertThat(peakInFlight[0]).as("jobs the worker held at once: some, never more than its bound")
          .isGreaterThanOrEqualTo(batchSize).isLessThanOrEqualTo(bound);
      for (Map.Entry<ServiceProcess, Double> e : peakOld.entrySet()) {
        assertThat(e.getValue()).as(e.getKey().name() + " old generation in use, KiB").isLessThan(0.9 * maxHeapKb.get(e.getKey()));
      }
      p.assertAllAlive();
      assertThat(p.allLogs()).doesNotContain("OutOfMemoryError");
    }
  }

  /** A PNG: signature, an IHDR declaring {@code width}×{@code height} RGB, the given IDAT payload, IEND. */
  static byte[] png(int width, int height, byte[] idat) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2).put((byte) 0)
        .put((byte) 0).put((byte) 0).array());
    chunk(out, "IDAT", idat);
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.write(ByteBuffer.allocate(4).putInt(data.length).array());
    out.write(t);
    out.write(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  /** Zeros that inflate to {@code size} bytes, deflated (about 1000:1). */
  static byte[] zlibZeros(long size) {
    Deflater d = new Deflater(Deflater.BEST_COMPRESSION);
    byte[] zeros = new byte[1 << 20];
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    for (long left = size; left > 0; left -= zeros.length) {
      d.setInput(zeros, 0, (int) Math.min(zeros.length, left));
      while (!d.needsInput()) {
        out.write(buf, 0, d.deflate(buf));
      }
    }
    d.finish();
    while (!d.finished()) {
      out.write(buf, 0, d.deflate(buf));
    }
    d.end();
    return out.toByteArray();
  }

  private static GeneratedImage image(String requestId, String uri) {
    PromptRequest request = PromptRequest.newBuilder().setRequestId(requestId).setBatchId("bombs").setPrompt("a mug")
        .setNumImages(1).setWidth(256).setHeight(256).setSubmittedAt(Instant.now()).build();
    GenerationJob job = GenerationJob.newBuilder().setRequest(request).setVariant(0).setNumVariants(1).setJobId(requestId + "-0")
        .setNormalizedPrompt("a mug").setRewrittenPrompt("a mug").setRewriteStrategy("passthrough").setRewriteVersion("1")
        .setSize(new Size(256, 256)).setSteps(2).setGuidanceScale(4.5f).setSeed(7L).setPackId("tiny-mmdit-flow")
        .setPackVersion("0.1.0").setCreatedAt(Instant.now()).build();
    return GeneratedImage.newBuilder().setJob(job).setStatus(ImageStatus.GENERATED).setImageUri(uri).setSha256("0".repeat(64))
        .setDeliveredSize(new Size(256, 256)).setTimings(StageTimings.newBuilder().build()).setWorkerId("bomb-it")
        .setGeneratedAt(Instant.now()).build();
  }

  @Test
  void imageBombsAreRefusedFromTheirHeaderWithoutDecodingAndTheScorerStaysUp() throws Exception {
    // 20000×20000 RGB would take 1.2 GB decoded: more than the scorer's whole heap, so decoding it would kill it.
    byte[] zipBomb = png(20_000, 20_000, zlibZeros(20_000L * (20_000L * 3 + 1)));
    assertThat(zipBomb.length).as("the bomb is small on the wire").isLessThan(2 << 20);
    Map<String, byte[]> objects = new LinkedHashMap<>();
    Map<String, String> expected = new LinkedHashMap<>();
    objects.put("zip-bomb", zipBomb);
    expected.put("zip-bomb", "TOO_LARGE");
    objects.put("header-1e10", png(100_000, 100_000, zlibZeros(1024)));
    expected.put("header-1e10", "TOO_LARGE");
    objects.put("header-unsigned", png(-1, -1, zlibZeros(1024)));
    expected.put("header-unsigned", "CORRUPT");
    objects.put("not-png", "\u00ff\u00d8\u00ff\u00e0 a jpeg, say".getBytes(StandardCharsets.ISO_8859_1));
    expected.put("not-png", "NOT_PNG");
    byte[] big = new byte[5 << 20];
    new Random(1).nextBytes(big);
    objects.put("too-many-bytes", big);
    expected.put("too-many-bytes", "TOO_LARGE");
    expected.put("missing", "IMAGE_MISSING");

    try (Pipeline p = Pipeline.start(dir, "bomb-it.");
         S3Client s3 = p.stack.connection().s3Client()) {
      ServiceProcess scoring = p.start(Pipeline.SCORING, ScoringApp.class, Map.of("INKFLOW_STATE_DIR", dir.resolve("state").toString(),
          "INKFLOW_SCORING_MAX_IMAGE_BYTES", Integer.toString(4 << 20)), List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError"));
      String bucket = p.stack.connection().bucket();
      Topics topics = p.topics();
      try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
          p.bootstrap()), new ByteArraySerializer(), new ByteArraySerializer())) {
        for (String name : expected.keySet()) {
          String requestId = "bomb." + name;
          String key = ObjectKeys.image("bombs", requestId, 0, 7);
          if (objects.containsKey(name)) {
            s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(objects.get(name)));
          }
          GeneratedImage g = image(requestId, ObjectKeys.uri(bucket, key));
          producer.send(new ProducerRecord<>(topics.imagesGenerated.name(), requestId.getBytes(StandardCharsets.UTF_8),
              topics.imagesGenerated.valueSerde().serializer().serialize(topics.imagesGenerated.name(), g))).get();
        }
      }

      List<RequestResult> results = new ArrayList<>();
      await("a result for every bomb").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
        p.assertAllAlive();
        results.clear();
        results.addAll(TopicReader.readAll(p.bootstrap(), topics.requestResults));
        return results.size() >= expected.size();
      });
      assertThat(results).hasSize(expected.size()).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(RequestStatus.FAILED));
      Map<String, ScoredImage> scored = TopicReader.readAll(p.bootstrap(), topics.imagesScored).stream()
          .collect(Collectors.toMap(s -> s.getImage().getJob().getRequest().getRequestId(), s -> s));
      Map<String, String> dead = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAllRaw(p.bootstrap(), topics.imagesGeneratedDlq.name())) {
        assertThat(dead.put(new String(r.key(), StandardCharsets.UTF_8), DeadLetterHeaders.get(r.headers(), DeadLetterHeaders.ERROR_CODE)))
            .as("one dead letter per bomb").isNull();
      }
      expected.forEach((name, code) -> {
        assertThat(dead).as("dead letter of " + name).containsEntry("bomb." + name, code);
        assertThat(scored.get("bomb." + name)).as("score of " + name).satisfies(s -> {
          assertThat(s.getVerdict()).isEqualTo(Verdict.FAILED);
          assertThat(s.getReasonCodes()).contains(code);
        });
      });
      assertThat(scoring.alive()).isTrue();
      assertThat(Files.readString(p.log(Pipeline.SCORING))).doesNotContain("OutOfMemoryError");
    }
  }
}
