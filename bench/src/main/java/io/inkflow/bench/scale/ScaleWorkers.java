package io.inkflow.bench.scale;

import io.inkflow.common.Digests;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.workers.generate.ClaimStore;
import io.inkflow.workers.generate.GenerationWorker;
import io.inkflow.workers.generate.GenerationWorkerMain;
import io.inkflow.workers.generate.SimulatedAccelerator;
import io.inkflow.workers.generate.WorkerConfig;
import io.inkflow.workers.generate.WorkerMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The workers' JVM of the scale benchmark: N generation workers in one consumer group, each with its own
 * consumer, producer and {@link SimulatedAccelerator}, as N single-GPU processes would run. Started by
 * {@link ScaleBench} with the services' environment and its own settings as system properties; prints
 * {@value #READY} once every worker has joined; on SIGTERM it drains the workers and writes every batch each
 * accelerator held to the busy file ({@code worker fromEpochNanos toEpochNanos images} per line).
 */
public final class ScaleWorkers {
  private static final Logger LOG = LoggerFactory.getLogger(ScaleWorkers.class);
  static final String READY = "scale workers ready";
  static final String WORKERS = "inkflow.scale.workers";
  static final String FIXED_NANOS = "inkflow.scale.fixedNanos";
  static final String PER_IMAGE_NANOS = "inkflow.scale.perImageNanos";
  static final String PNG_DIR = "inkflow.scale.pngDir";
  static final String BUSY_FILE = "inkflow.scale.busyFile";
  static final String PACK_ID = "inkflow.scale.packId";
  static final String PACK_VERSION = "inkflow.scale.packVersion";

  private ScaleWorkers() {}

  public static void main(String[] args) throws Exception {
    int n = Integer.getInteger(WORKERS);
    SimulatedAccelerator.Latency latency = new SimulatedAccelerator.Latency(
        Duration.ofNanos(Long.getLong(FIXED_NANOS)), Duration.ofNanos(Long.getLong(PER_IMAGE_NANOS)));
    List<SimulatedAccelerator.Png> pngs = load(Path.of(System.getProperty(PNG_DIR)));
    Path busyFile = Path.of(System.getProperty(BUSY_FILE));
    Map<String, String> env = System.getenv();
    WorkerConfig base = WorkerConfig.fromEnv(env);
    List<SimulatedAccelerator> accelerators = new ArrayList<>();
    List<GenerationWorker> workers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    List<KafkaProducer<byte[], byte[]>> producers = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryClientConfig.of(base.registryUrl()));
         S3Client s3 = S3Clients.create(base.s3())) {
      Topics topics = Topics.create(registry, base.topicPrefix(), TopicSettings.fromEnv(env), true);
      for (int i = 0; i < n; i++) {
        Map<String, String> own = new HashMap<>(env);
        own.put("INKFLOW_WORKER_ID", "scale-w" + i);
        WorkerConfig config = WorkerConfig.fromEnv(own);
        SimulatedAccelerator accelerator = new SimulatedAccelerator(System.getProperty(PACK_ID), System.getProperty(PACK_VERSION),
            latency, pngs);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(GenerationWorkerMain.producerProps(config),
            new ByteArraySerializer(), new ByteArraySerializer());
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(GenerationWorkerMain.consumerProps(config),
            new ByteArrayDeserializer(), new ByteArrayDeserializer());
        GenerationWorker worker = new GenerationWorker(config, consumer, producer, topics, accelerator,
            new S3ObjectStore(s3, config.s3().bucket()), ClaimStore.none(), WorkerMetrics.NONE);
        Thread thread = new Thread(() -> {
          try {
            worker.run();
          } catch (RuntimeException e) {
            LOG.error("worker {} stopped with an error", config.workerId(), e);
          }
        }, "scale-worker-" + i);
        accelerators.add(accelerator);
        workers.add(worker);
        producers.add(producer);
        threads.add(thread);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        workers.forEach(GenerationWorker::shutdown);
        try {
          stopped.await(90, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "scale-workers-shutdown"));
      threads.forEach(Thread::start);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
      while (workers.stream().anyMatch(w -> w.notReady().isPresent())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("workers not ready after 2 minutes: "
              + workers.stream().map(w -> w.notReady().orElse("ready")).toList());
        }
        Thread.sleep(20); // polls observable state (each worker's readiness) with a deadline
      }
      System.out.println(READY + ": " + n);
      System.out.flush();
      for (Thread t : threads) {
        t.join();
      }
      List<String> lines = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        for (SimulatedAccelerator.Busy b : accelerators.get(i).busy()) {
          lines.add(i + " " + b.fromEpochNanos() + " " + b.toEpochNanos() + " " + b.images());
        }
      }
      Files.write(busyFile, lines);
      producers.forEach(p -> p.close(Duration.ofSeconds(10)));
    } finally {
      stopped.countDown();
    }
  }

  private static List<SimulatedAccelerator.Png> load(Path dir) throws IOException {
    List<SimulatedAccelerator.Png> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : files.sorted().toList()) {
        byte[] bytes = Files.readAllBytes(p);
        // IHDR: width and height are the big-endian ints at bytes 16 and 20.
        int width = ((bytes[16] & 0xff) << 24) | ((bytes[17] & 0xff) << 16) | ((bytes[18] & 0xff) << 8) | (bytes[19] & 0xff);
        int height = ((bytes[20] & 0xff) << 24) | ((bytes[21] & 0xff) << 16) | ((bytes[22] & 0xff) << 8) | (bytes[23] & 0xff);
        out.add(new SimulatedAccelerator.Png(bytes, Digests.sha256Hex(bytes), width, height));
      }
    }
    return out;
  }
}
