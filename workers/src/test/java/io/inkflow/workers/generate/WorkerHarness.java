package io.inkflow.workers.generate;

import static org.awaitility.Awaitility.await;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.Size;
import io.inkflow.common.health.HttpSettings;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.runtime.VaeNanException;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.MemoryObjectStore;
import io.inkflow.storage.S3Settings;
import io.inkflow.testing.ExampleEvents;
import io.inkflow.testing.MemoryRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** A worker on MockConsumer/MockProducer with a synthetic generator and an in-memory store. */
final class WorkerHarness implements AutoCloseable {
  static final String PACK = "mmdit-tiny";
  static final String VERSION = "1.0.0";

  final Topics topics = Topics.create(new MemoryRegistry(), "", 2, true);
  final TopicPartition p0 = new TopicPartition(topics.generationJobs.name(), 0);
  final TopicPartition p1 = new TopicPartition(topics.generationJobs.name(), 1);
  final RecordingConsumer consumer = new RecordingConsumer();
  final FlakyProducer producer = new FlakyProducer();
  final FakeGenerator generator = new FakeGenerator();
  /** What the worker renders with: the fake generator unless a test hands in another. */
  ImageGenerator engine = generator;
  final MemoryObjectStore store = new MemoryObjectStore("test-bucket");
  final RecordingMetrics metrics = new RecordingMetrics();
  final Map<TopicPartition, AtomicInteger> nextOffset = new ConcurrentHashMap<>();
  WorkerConfig config;
  ClaimStore claims = ClaimStore.none();
  GenerationWorker worker;
  Thread thread;
  volatile Throwable died;
  /** Renders in progress at the moment run() returned: must be none. */
  volatile int renderingWhenStopped = -1;

  /** What one poll returns at most, as max.poll.records does for a real consumer. */
  static final int MAX_POLL_RECORDS = 8;

  WorkerHarness() {
    consumer.setMaxPollRecords(MAX_POLL_RECORDS);
    config = config(4, Duration.ofMillis(50), 3);
  }

  static WorkerConfig config(int batch, Duration maxWait, int maxAttempts) {
    return new WorkerConfig("127.0.0.1:9", "http://127.0.0.1:9", "", "g", "worker-test",
        S3Settings.local(java.net.URI.create("http://127.0.0.1:9"), "test-bucket", "k", "s"), Path.of("pack"),
        ExecutionProvider.CPU, 0, 0, batch, maxWait, maxAttempts, 2, 2, 3, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ZERO, null, HttpSettings.none(), WorkerConfig.PngMode.STANDARD, Duration.ofSeconds(60), Map.of());
  }

  WorkerHarness start() {
    worker = new GenerationWorker(config, consumer, producer, topics, engine, store, claims, metrics);
    consumer.schedulePollTask(() -> {
      consumer.rebalance(List.of(p0, p1));
      consumer.updateBeginningOffsets(Map.of(p0, 0L, p1, 0L));
    });
    thread = new Thread(() -> {
      try {
        worker.run();
      } catch (Throwable e) {
        died = e;
      } finally {
        renderingWhenStopped = generator.rendering.get();
      }
    }, "worker-under-test");
    thread.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.assignment().size() == 2);
    return this;
  }

  static GenerationJob job(String requestId, int variant, int size, int steps) {
    GenerationJob example = ExampleEvents.job();
    return GenerationJob.newBuilder(example)
        .setRequest(io.inkflow.avro.PromptRequest.newBuilder(example.getRequest()).setRequestId(requestId).setBatchId("b1").build())
        .setJobId(requestId + "-" + variant)
        .setVariant(variant)
        .setRewrittenPrompt("a red circle " + requestId)
        .setSize(new Size(size, size))
        .setSteps(steps)
        .setSeed(100 + variant)
        .build();
  }

  void send(TopicPartition tp, GenerationJob job) {
    send(tp, job.getJobId().toString().getBytes(StandardCharsets.UTF_8),
        topics.generationJobs.valueSerde().serializer().serialize(tp.topic(), job));
  }

  void send(TopicPartition tp, byte[] key, byte[] value) {
    send(tp, key, value, new org.apache.kafka.common.header.internals.RecordHeaders());
  }

  void send(TopicPartition tp, byte[] key, byte[] value, org.apache.kafka.common.header.Headers headers) {
    long offset = nextOffset.computeIfAbsent(tp, k -> new AtomicInteger()).getAndIncrement();
    consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, ConsumerRecord.NO_TIMESTAMP,
        org.apache.kafka.common.record.TimestampType.NO_TIMESTAMP_TYPE, ConsumerRecord.NULL_SIZE, ConsumerRecord.NULL_SIZE, key, value,
        headers, java.util.Optional.empty()));
  }

  List<GeneratedImage> results() {
    List<GeneratedImage> out = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> r : producer.history()) {
      if (r.topic().equals(topics.imagesGenerated.name())) {
        out.add(topics.imagesGenerated.valueSerde().deserializer().deserialize(r.topic(), r.value()));
      }
    }
    return out;
  }

  List<GenerationJob> requeued() {
    List<GenerationJob> out = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> r : producer.history()) {
      if (r.topic().equals(topics.generationJobs.name())) {
        out.add(topics.generationJobs.valueSerde().deserializer().deserialize(r.topic(), r.value()));
      }
    }
    return out;
  }

  List<ProducerRecord<byte[], byte[]>> deadLetters() {
    return producer.history().stream().filter(r -> r.topic().equals(topics.generationJobsDlq.name())).toList();
  }

  long committed(TopicPartition tp) {
    var c = consumer.committed(Set.of(tp)).get(tp);
    return c == null ? -1 : c.offset();
  }

  void awaitCommitted(TopicPartition tp, long offset) {
    await().atMost(Duration.ofSeconds(20)).until(() -> died != null || committed(tp) >= offset);
    if (died != null) {
      throw new AssertionError("worker died", died);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (worker != null) {
      worker.shutdown();
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
  }

  /**
   * Renders synthetic images; fails any batch holding a prompt it is told to fail on, and PNG-encoding
   * of the jobs it is told to; can be held shut; counts renders in progress.
   */
  static final class FakeGenerator extends SyntheticGenerator {
    final List<List<String>> batches = new CopyOnWriteArrayList<>();
    final Set<String> failOn = ConcurrentHashMap.newKeySet();
    /** Jobs whose VAE "decodes NaN". */
    final Set<String> nanOn = ConcurrentHashMap.newKeySet();
    final Set<String> failEncodingOf = ConcurrentHashMap.newKeySet();
    final AtomicInteger rendering = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    /** Simulated inference time per batch. */
    volatile Duration renderTime = Duration.ZERO;

    FakeGenerator() {
      super(PACK, VERSION);
    }

    @Override
    public List<RenderedImage> render(List<ImageRequest> batch) {
      rendering.incrementAndGet();
      try {
        gate.await();
        if (!renderTime.isZero()) {
          Thread.sleep(renderTime.toMillis()); // stands for the accelerator's time, not a synchronisation
        }
        batches.add(batch.stream().map(r -> r.metadata().get("job_id")).toList());
        for (ImageRequest r : batch) {
          if (failOn.contains(r.metadata().get("job_id"))) {
            throw new RuntimeException("ORT failed: bad input for " + r.metadata().get("job_id"));
          }
          if (nanOn.contains(r.metadata().get("job_id"))) {
            throw new VaeNanException("the float16 VAE decoded NaN for " + r.metadata().get("job_id"));
          }
        }
        return super.render(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      } finally {
        rendering.decrementAndGet();
      }
    }

    @Override
    public io.inkflow.inference.diffusion.GeneratedPng encodePng(RenderedImage image) {
      String jobId = image.request().metadata().get("job_id");
      if (failEncodingOf.contains(jobId)) {
        throw new IllegalArgumentException("cannot encode " + jobId);
      }
      return super.encodePng(image);
    }
  }

  /** A MockConsumer that remembers the last offset committed per partition, readable after it is closed. */
  static final class RecordingConsumer extends MockConsumer<byte[], byte[]> {
    final Map<TopicPartition, Long> lastCommitted = new ConcurrentHashMap<>();

    RecordingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets) {
      super.commitSync(offsets);
      offsets.forEach((tp, o) -> lastCommitted.put(tp, o.offset()));
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets,
        org.apache.kafka.clients.consumer.OffsetCommitCallback callback) {
      super.commitAsync(offsets, callback);
      offsets.forEach((tp, o) -> lastCommitted.put(tp, o.offset()));
    }
  }

  /** A MockProducer (sends complete at once) whose next {@code failures} sends fail with a retriable error. */
  static final class FlakyProducer extends MockProducer<byte[], byte[]> {
    final AtomicInteger failures = new AtomicInteger();

    FlakyProducer() {
      super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record) {
      if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return java.util.concurrent.CompletableFuture.failedFuture(new NotEnoughReplicasException("broker says not enough replicas"));
      }
      return super.send(record);
    }

    long count(Predicate<ProducerRecord<byte[], byte[]>> which) {
      return history().stream().filter(which).count();
    }
  }

  static final class RecordingMetrics implements WorkerMetrics {
    final AtomicInteger retries = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    volatile java.util.function.Supplier<Number> inFlight;

    @Override
    public void gauges(java.util.function.Supplier<Number> inFlightJobs, java.util.function.Supplier<Number> queuedBatches) {
      inFlight = inFlightJobs;
    }

    @Override
    public void retry(String what) {
      retries.incrementAndGet();
    }
  }
}
