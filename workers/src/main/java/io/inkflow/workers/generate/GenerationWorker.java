package io.inkflow.workers.generate;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.Size;
import io.inkflow.avro.StageTimings;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.schemas.DeadLetterHeaders;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.ObjectKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation worker: poll {@code generation-jobs} → group into micro-batches by (pack, bucket,
 * steps) → render → PNG-encode → upload to S3 → produce a {@link GeneratedImage} → commit last.
 *
 * <p>Threads: the caller's thread owns the consumer (poll, batching, pause/resume, commits); one
 * inference thread renders batches from a bounded hand-off; {@code outputThreads} threads encode,
 * upload and produce, so the accelerator renders batch k+1 while batch k is being delivered. Jobs
 * held between poll and commit are bounded: at the limit the consumer pauses its partitions and keeps
 * polling, so {@code max.poll.interval.ms} is never exceeded however long a batch takes.
 *
 * <p>Failures: an inference error splits the batch in halves until the bad job is alone; a failing
 * job is re-queued to {@code generation-jobs} with attempt + 1, and after {@code maxAttempts} it is
 * dead-lettered (original bytes + headers) and reported FAILED. A job for another pack is refused at
 * once as PACK_MISMATCH; an unreadable record is dead-lettered and skipped. A claim is persisted
 * before inference: a job redelivered with its claim still there was running when the process died;
 * it runs alone next, and if it dies alone it counts as a failed attempt (WORKER_CRASHED).
 *
 * <p>Offsets are committed only below the first unfinished record of each partition, after its
 * result, re-queue or dead letter is acknowledged by the broker.
 */
public final class GenerationWorker implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(GenerationWorker.class);
  static final String STAGE = "generation-worker";
  private static final Duration MAX_POLL = Duration.ofMillis(100);
  private static final Duration MIN_POLL = Duration.ofMillis(5);
  /** How long a revocation or shutdown waits for started work before abandoning it to the next owner. */
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

  private final WorkerConfig config;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  private final ImageGenerator generator;
  private final ImageStore store;
  private final ClaimStore claims;
  private final WorkerMetrics metrics;
  private final Retry retry;

  private final AtomicBoolean closing = new AtomicBoolean();
  private final AtomicReference<Throwable> fatal = new AtomicReference<>();
  private final MicroBatcher<Job> batcher;
  private final OffsetTracker offsets = new OffsetTracker();
  private final LinkedBlockingQueue<Job> finished = new LinkedBlockingQueue<>();
  private final AtomicInteger queuedBatches = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ExecutorService inference;
  private final ExecutorService output;
  private final Set<TopicPartition> paused = new HashSet<>();

  /** A record taken from the topic: its job (null when unreadable) and when it was polled. */
  record Job(ConsumerRecord<byte[], byte[]> record, GenerationJob job, long polledAt, boolean alone) {
    TopicPartition partition() {
      return new TopicPartition(record.topic(), record.partition());
    }

    String where() {
      return record.topic() + "-" + record.partition() + "@" + record.offset() + (job == null ? "" : " job " + job.getJobId());
    }
  }

  /**
   * @param consumer a consumer with auto-commit off, not yet subscribed; closed when {@link #run} ends
   * @param producer shared producer (acks=all, idempotent); flushed but not closed
   */
  public GenerationWorker(WorkerConfig config, Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
      Topics topics, ImageGenerator generator, ImageStore store, ClaimStore claims, WorkerMetrics metrics) {
    this.config = config;
    this.consumer = consumer;
    this.producer = producer;
    this.topics = topics;
    this.generator = generator;
    this.store = store;
    this.claims = claims;
    this.metrics = metrics;
    this.retry = new Retry(config.ioAttempts(), config.ioBackoff(), config.ioBackoffMax(), config.ioDeadline(),
        (what, e) -> metrics.retry(what));
    this.batcher = new MicroBatcher<>(config.maxBatchSize(), config.maxWait().toNanos(), GenerationWorker::batchKey);
    this.inference = Executors.newSingleThreadExecutor(daemon("inference"));
    this.output = Executors.newFixedThreadPool(config.outputThreads(), daemon("output"));
    metrics.gauges(inFlight::get, queuedBatches::get);
  }

  static BatchKey batchKey(Job j) {
    GenerationJob g = j.job();
    // A suspect runs alone: its own key, never shared.
    String pack = j.alone() ? g.getPackId() + "#" + g.getJobId() : g.getPackId();
    return new BatchKey(pack, g.getPackVersion(), g.getSize().getWidth(), g.getSize().getHeight(), g.getSteps());
  }

  /** Asks the loop to stop: it abandons what has not started, finishes what has, commits and returns. Any thread. */
  public void shutdown() {
    closing.set(true);
    consumer.wakeup();
  }

  /** The poll loop; returns after {@link #shutdown}, or throws when the worker cannot go on. */
  @Override
  public void run() {
    consumer.subscribe(List.of(topics.generationJobs.name()), new Rebalance());
    try {
      while (!closing.get()) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout());
        long now = System.nanoTime();
        Set<TopicPartition> rewound = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
          TopicPartition tp = new TopicPartition(record.topic(), record.partition());
          if (!rewound.contains(tp) && !take(record, now)) {
            rewound.add(tp);
          }
        }
        dispatch(false);
        commitFinished(false);
        applyBackpressure();
        Throwable error = fatal.get();
        if (error != null) {
          throw new KafkaException("worker cannot go on", error);
        }
      }
    } catch (WakeupException e) {
      if (!closing.get()) {
        throw e;
      }
    } finally {
      drain();
      inference.shutdownNow();
      output.shutdownNow();
      consumer.close();
    }
  }

  private Duration pollTimeout() {
    if (batcher.size() == 0) {
      return MAX_POLL;
    }
    long due = batcher.nanosUntilDue(System.nanoTime());
    if (due == 0 && queuedBatches.get() >= config.queuedBatches()) {
      return MIN_POLL; // a batch is ready and waits for room in the hand-off
    }
    return Duration.ofNanos(Math.max(MIN_POLL.toNanos(), Math.min(MAX_POLL.toNanos(), due)));
  }

  /** Takes one polled record; false when the partition was rewound to it (registry unavailable). */
  private boolean take(ConsumerRecord<byte[], byte[]> record, long now) {
    Topic<String, GenerationJob> topic = topics.generationJobs;
    GenerationJob job;
    try {
      job = topic.valueSerde().deserializer().deserialize(record.topic(), record.headers(), record.value());
      if (job == null) {
        throw new SerializationException("expected a GenerationJob, found a null value");
      }
    } catch (RetriableException e) {
      LOG.warn("{}-{}@{}: cannot read the job now, will poll it again: {}", record.topic(), record.partition(),
          record.offset(), e.toString());
      consumer.seek(new TopicPartition(record.topic(), record.partition()), record.offset());
      return false;
    } catch (RuntimeException e) {
      Job poison = new Job(record, null, now, false);
      track(poison);
      LOG.warn("{}: unreadable record, dead-lettered and skipped: {}", poison.where(), e.toString());
      output.execute(() -> guarded(poison, () -> {
        deadLetter(poison, "DESERIALIZATION_FAILED", e.toString(), 1);
        finish(poison);
      }));
      return true;
    }
    ClaimStore.Claim claim = claims.find(job);
    Job taken = new Job(record, job, now, claim == ClaimStore.Claim.IN_BATCH);
    track(taken);
    if (!job.getPackId().equals(generator.packId()) || !job.getPackVersion().equals(generator.packVersion())) {
      String message = "expected pack " + generator.packId() + "@" + generator.packVersion() + ", found "
          + job.getPackId() + "@" + job.getPackVersion();
      output.execute(() -> guarded(taken, () -> fail(taken, "PACK_MISMATCH", message, false)));
    } else if (claim == ClaimStore.Claim.ALONE) {
      output.execute(() -> guarded(taken, () -> fail(taken, "WORKER_CRASHED",
          "the worker died while rendering this job alone (attempt " + job.getAttempt() + ")", true)));
    } else {
      if (claim == ClaimStore.Claim.IN_BATCH) {
        LOG.warn("{}: the worker died while this job was in a batch; it runs alone now", taken.where());
      }
      batcher.add(taken, now);
    }
    return true;
  }

  private void track(Job job) {
    offsets.taken(job.partition(), job.record().offset());
    inFlight.incrementAndGet();
  }

  /** Hands ready batches (all held ones when {@code all}) to the inference thread while there is room. */
  private void dispatch(boolean all) {
    int room = config.queuedBatches() - queuedBatches.get();
    if (room <= 0) {
      return;
    }
    var batches = all ? batcher.flush(room) : batcher.ready(System.nanoTime(), room);
    for (MicroBatcher.Batch<Job> batch : batches) {
      queuedBatches.incrementAndGet();
      inference.execute(() -> {
        queuedBatches.decrementAndGet();
        render(batch.items());
      });
    }
  }

  /** Inference thread: renders a batch, splitting it in halves on failure until the bad job is alone. */
  private void render(List<Job> batch) {
    if (fatal.get() != null) {
      return;
    }
    List<ImageRequest> requests = new ArrayList<>(batch.size());
    List<GenerationJob> jobs = new ArrayList<>(batch.size());
    for (Job j : batch) {
      requests.add(request(j.job()));
      jobs.add(j.job());
    }
    long start = System.nanoTime();
    List<RenderedImage> images;
    try {
      claims.claim(jobs, batch.size() == 1 && batch.get(0).alone());
      images = generator.render(requests);
    } catch (RuntimeException e) {
      if (batch.size() > 1) {
        LOG.warn("{}: inference failed for a batch of {} ({}); splitting it", batch.get(0).where(), batch.size(), e.toString());
        int half = batch.size() / 2;
        render(batch.subList(0, half));
        render(batch.subList(half, batch.size()));
        return;
      }
      Job job = batch.get(0);
      // A job outside the pack's rules fails the same way every time: no retry.
      boolean retryable = !(e instanceof IllegalArgumentException);
      String code = retryable ? "INFERENCE_ERROR" : "INVALID_JOB";
      LOG.warn("{}: inference failed: {}", job.where(), e.toString());
      output.execute(() -> guarded(job, () -> fail(job, code, e.toString(), retryable)));
      return;
    }
    long took = System.nanoTime() - start;
    metrics.batch(batch.size(), took);
    LOG.info("rendered {} job(s) at {} in {} ms (first {})", batch.size(), batchKey(batch.get(0)), took / 1_000_000,
        batch.get(0).where());
    for (int i = 0; i < batch.size(); i++) {
      Job job = batch.get(i);
      RenderedImage image = images.get(i);
      long queueNanos = start - job.polledAt();
      output.execute(() -> guarded(job, () -> deliver(job, image, queueNanos)));
    }
  }

  static ImageRequest request(GenerationJob job) {
    String negative = job.getNormalizedNegativePrompt() == null ? "" : job.getNormalizedNegativePrompt().toString();
    return new ImageRequest(job.getRewrittenPrompt().toString(), negative,
        job.getGlyphTexts().stream().map(CharSequence::toString).toList(), job.getSize().getWidth(),
        job.getSize().getHeight(), job.getSteps(), job.getGuidanceScale(), job.getSeed(),
        Map.of("job_id", job.getJobId().toString()));
  }

  /** Output thread: PNG → S3 → GeneratedImage, each I/O step retried with backoff. */
  private void deliver(Job job, RenderedImage image, long queueNanos) throws Exception {
    GenerationJob g = job.job();
    GeneratedPng png = generator.encodePng(image);
    String key = ObjectKeys.image(g.getRequest().getBatchId().toString(), g.getRequest().getRequestId().toString(),
        g.getVariant(), g.getSeed());
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("job-id", ObjectKeys.toMetadata(g.getJobId().toString())); // a header: non-ASCII ids are encoded
    metadata.put("seed", Long.toString(g.getSeed()));
    metadata.put("pack-id", generator.packId());
    metadata.put("pack-version", generator.packVersion());
    metadata.put("sha256", png.sha256());
    long uploadStart = System.nanoTime();
    try {
      retry.call("upload " + key + " (" + job.where() + ")", store::isRetryable, () -> {
        store.put(key, png.png(), metadata);
        return null;
      });
    } catch (Exception e) {
      fail(job, "UPLOAD_FAILED", Retry.unwrap(e).toString(), true);
      return;
    }
    long uploadNanos = System.nanoTime() - uploadStart;
    var t = png.timings();
    GeneratedImage event = GeneratedImage.newBuilder()
        .setJob(g)
        .setStatus(ImageStatus.GENERATED)
        .setImageUri(store.uri(key))
        .setSha256(png.sha256())
        .setDeliveredSize(new Size(png.width(), png.height()))
        .setTimings(StageTimings.newBuilder()
            .setQueueMs(queueNanos / 1_000_000)
            .setEncodeMs(t.encode().toMillis())
            .setDenoiseMs(t.sampling().toMillis())
            .setDecodeMs(t.decode().toMillis())
            .setPngMs(t.png().toMillis())
            .setUploadMs(uploadNanos / 1_000_000)
            .setBatchSize(t.batchSize())
            .build())
        .setWorkerId(config.workerId())
        .setGeneratedAt(Instant.now())
        .build();
    long produceStart = System.nanoTime();
    send(job, topics.imagesGenerated, g.getRequest().getRequestId().toString(), event, null);
    metrics.image(queueNanos, t.png().toNanos(), uploadNanos, System.nanoTime() - produceStart);
    claims.release(g);
    finish(job);
  }

  /**
   * A job failed: re-queue it with attempt + 1 while attempts are left and the error may pass,
   * otherwise dead-letter it and report it FAILED.
   */
  private void fail(Job job, String code, String message, boolean retryable) throws Exception {
    GenerationJob g = job.job();
    if (retryable && g.getAttempt() < config.maxAttempts()) {
      GenerationJob again = GenerationJob.newBuilder(g).setAttempt(g.getAttempt() + 1).setCreatedAt(Instant.now()).build();
      LOG.warn("{}: {} on attempt {}/{}, re-queued: {}", job.where(), code, g.getAttempt(), config.maxAttempts(), message);
      send(job, topics.generationJobs, g.getJobId().toString(), again, null);
      metrics.requeued(code);
    } else {
      LOG.error("{}: {} on attempt {}/{}, dead-lettered and reported FAILED: {}", job.where(), code, g.getAttempt(),
          config.maxAttempts(), message);
      deadLetter(job, code, message, g.getAttempt());
      GeneratedImage failed = GeneratedImage.newBuilder()
          .setJob(g)
          .setStatus(ImageStatus.FAILED)
          .setTimings(StageTimings.newBuilder().build())
          .setWorkerId(config.workerId())
          .setGeneratedAt(Instant.now())
          .setErrorCode(code)
          .setErrorMessage(message)
          .build();
      send(job, topics.imagesGenerated, g.getRequest().getRequestId().toString(), failed, null);
      metrics.failed(code);
    }
    claims.release(g);
    finish(job);
  }

  private void deadLetter(Job job, String code, String message, int attempts) throws Exception {
    ConsumerRecord<byte[], byte[]> r = job.record();
    Headers headers = DeadLetterHeaders.of(code, message, STAGE, attempts, r.topic(), r.partition(), r.offset());
    ProducerRecord<byte[], byte[]> dead = new ProducerRecord<>(topics.generationJobsDlq.name(), null, r.key(), r.value(), headers);
    retry.call("dead-letter " + job.where(), GenerationWorker::retryableSend, () -> producer.send(dead).get());
    metrics.deadLettered(code);
  }

  private <V> void send(Job job, Topic<String, V> topic, String key, V value, Headers headers) throws Exception {
    retry.call("produce to " + topic.name() + " (" + job.where() + ")", GenerationWorker::retryableSend, () -> {
      byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
      return producer.send(new ProducerRecord<>(topic.name(), null, key.getBytes(StandardCharsets.UTF_8), bytes,
          headers == null ? new RecordHeaders() : headers)).get();
    });
  }

  static boolean retryableSend(Throwable e) {
    return e instanceof RetriableException || e instanceof TimeoutException;
  }

  private void finish(Job job) {
    finished.add(job);
  }

  /** Runs an output task; a failure to even report a failure stops the worker without committing past the job. */
  private void guarded(Job job, ThrowingRunnable task) {
    try {
      task.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fatal.compareAndSet(null, e);
    } catch (Throwable e) {
      LOG.error("{}: cannot deliver or report this job; stopping so that it is redelivered", job.where(), e);
      fatal.compareAndSet(null, e);
    }
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  /** Consumer thread: marks finished jobs and commits what is complete below the first unfinished record. */
  private void commitFinished(boolean sync) {
    Job job;
    while ((job = finished.poll()) != null) {
      markFinished(job);
    }
    Map<TopicPartition, OffsetAndMetadata> commit = offsets.committable();
    commit.keySet().retainAll(consumer.assignment());
    if (commit.isEmpty()) {
      return;
    }
    if (sync) {
      consumer.commitSync(commit);
      offsets.committed(commit);
    } else {
      // The callback runs on this (the consumer) thread, inside a later poll or commit.
      consumer.commitAsync(commit, (done, error) -> {
        if (error != null) {
          LOG.warn("commit of {} failed; it is retried with the next commit: {}", done, error.toString());
          offsets.commitFailed(done);
        }
      });
      offsets.committed(commit);
    }
  }

  private void markFinished(Job job) {
    offsets.finished(job.partition(), job.record().offset());
    inFlight.decrementAndGet();
  }

  /** Pauses every assigned partition while too many jobs are held, resumes when there is room again. */
  private void applyBackpressure() {
    int held = inFlight.get();
    if (held >= config.maxInFlightJobs()) {
      Set<TopicPartition> toPause = new HashSet<>(consumer.assignment());
      toPause.removeAll(paused);
      if (!toPause.isEmpty()) {
        consumer.pause(toPause);
        paused.addAll(toPause);
        LOG.debug("paused {} with {} jobs held", toPause, held);
      }
    } else if (!paused.isEmpty() && held <= config.maxInFlightJobs() - config.maxBatchSize()) {
      paused.retainAll(consumer.assignment());
      consumer.resume(paused);
      LOG.debug("resumed {} with {} jobs held", paused, held);
      paused.clear();
    }
  }

  /**
   * Waits until no started job of {@code partitions} is unfinished (held, not-started jobs were
   * already dropped), committing as jobs finish; gives up after {@link #DRAIN_TIMEOUT}.
   */
  private void awaitStarted(Collection<TopicPartition> partitions) {
    long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    while (offsets.startedPending(partitions) > 0 && fatal.get() == null) {
      if (System.nanoTime() > deadline) {
        LOG.warn("{} started job(s) of {} not finished after {}; their next owner redoes them",
            offsets.startedPending(partitions), partitions, DRAIN_TIMEOUT);
        return;
      }
      try {
        Job job = finished.poll(50, TimeUnit.MILLISECONDS);
        if (job != null) {
          markFinished(job);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      commitFinished(false);
    }
  }

  /** Abandons held jobs of {@code partitions}: they were not started, and their next owner gets them again. */
  private void abandonHeld(Collection<TopicPartition> partitions) {
    List<Job> dropped = batcher.removeIf(j -> partitions.contains(j.partition()));
    for (Job j : dropped) {
      offsets.abandoned(j.partition(), j.record().offset());
      inFlight.decrementAndGet();
    }
    if (!dropped.isEmpty()) {
      LOG.info("abandoned {} job(s) not started yet of {}; their next owner takes them", dropped.size(), partitions);
    }
  }

  private void drain() {
    try {
      Set<TopicPartition> all = new HashSet<>(consumer.assignment());
      abandonHeld(all);
      awaitStarted(all);
      commitFinished(true);
    } catch (RuntimeException e) {
      LOG.warn("drain on shutdown incomplete: {}", e.toString());
    }
    producer.flush();
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      abandonHeld(partitions);
      awaitStarted(partitions);
      commitFinished(true);
      partitions.forEach(offsets::forget);
      paused.removeAll(partitions);
      LOG.info("revoked {}: started jobs finished and committed", partitions);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      abandonHeld(partitions);
      partitions.forEach(offsets::forget);
      paused.removeAll(partitions);
      LOG.warn("lost {}: nothing committed; their next owner redoes unfinished jobs", partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      LOG.info("assigned {}", partitions);
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "worker-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
