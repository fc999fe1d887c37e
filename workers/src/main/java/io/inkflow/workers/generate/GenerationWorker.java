package io.inkflow.workers.generate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.Size;
import io.inkflow.avro.StageTimings;
import io.inkflow.common.LogText;
import io.inkflow.common.deadletter.DeadLetter;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.runtime.VaeNanException;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.serde.InvalidTextException;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
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
 * once as PACK_MISMATCH; an unreadable record is dead-lettered and skipped. A lost accelerator
 * ({@link AcceleratorLoss}) is nobody's job's fault: the worker stops without committing the batch, so that
 * another member of the group renders it. A claim is persisted
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
  /** How much of an error message a log line quotes (the dead letter keeps it whole). */
  private static final int MAX_LOGGED_MESSAGE = 400;
  private static final ObjectMapper NOTES_JSON = new ObjectMapper();

  private final WorkerConfig config;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final Topics topics;
  private final ImageGenerator generator;
  private final ObjectStore store;
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
  /** Set by the first assignment callback (even an empty one), cleared when the partitions are lost. */
  private volatile boolean joined;
  private volatile long lastPollNanos = System.nanoTime();
  private final long maxPollIntervalNanos;

  /** A record taken from the topic: its job (null when unreadable) and when it was polled. */
  record Job(ConsumerRecord<byte[], byte[]> record, GenerationJob job, long polledAt, boolean alone) {
    TopicPartition partition() {
      return new TopicPartition(record.topic(), record.partition());
    }

    String where() {
      return record.topic() + "-" + record.partition() + "@" + record.offset() + (job == null ? "" : " job " + LogText.of(job.getJobId()));
    }
  }

  /**
   * @param consumer a consumer with auto-commit off, not yet subscribed; closed when {@link #run} ends
   * @param producer shared producer (acks=all, idempotent); flushed but not closed
   */
  public GenerationWorker(WorkerConfig config, Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer,
      Topics topics, ImageGenerator generator, ObjectStore store, ClaimStore claims, WorkerMetrics metrics) {
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
    Object interval = config.clientOverrides().get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG);
    this.maxPollIntervalNanos = TimeUnit.MILLISECONDS.toNanos(interval == null ? 300_000 : Long.parseLong(interval.toString().trim()));
  }

  /**
   * Empty when the worker is ready: its consumer has joined the group (an assignment callback was seen,
   * even one with no partitions: a worker beyond the partition count is ready and idle) and its loop is
   * alive (it polled within {@code max.poll.interval.ms}); otherwise why not. Any thread.
   */
  public Optional<String> notReady() {
    Throwable error = fatal.get();
    if (error != null) {
      return Optional.of("worker cannot go on: " + error.getMessage());
    }
    if (closing.get()) {
      return Optional.of("worker is draining");
    }
    if (!joined) {
      return Optional.of("consumer has not joined group " + config.groupId() + " yet");
    }
    long since = System.nanoTime() - lastPollNanos;
    if (since > maxPollIntervalNanos) {
      return Optional.of("poll loop stalled: last poll " + TimeUnit.NANOSECONDS.toMillis(since) + " ms ago, expected within "
          + TimeUnit.NANOSECONDS.toMillis(maxPollIntervalNanos) + " ms");
    }
    return Optional.empty();
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
        lastPollNanos = now;
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
      stop();
    }
  }

  /**
   * Stops in order: polling has stopped; held jobs are abandoned to their next owner; the inference
   * thread takes no new batch but finishes those handed to it; started jobs are delivered and
   * committed; then the threads end and the consumer closes. Returns only once no render is running
   * (or the drain timed out, logged), so the caller may close the generator's sessions after it.
   */
  private void stop() {
    long deadline = System.nanoTime() + config.drainTimeout().toNanos();
    inference.shutdown();
    try {
      drain();
      if (!inference.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        LOG.warn("a render was still running {} after the stop was asked; its jobs are left to their next owner", config.drainTimeout());
      }
      output.shutdown();
      if (!output.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        LOG.warn("deliveries were still running {} after the stop was asked; their jobs are left to their next owner", config.drainTimeout());
      }
      if (fatal.get() != null) {
        // The drain did not wait for deliveries after a fatal error: commit those that completed since.
        commitQuietly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      inference.shutdownNow();
      output.shutdownNow();
      try {
        consumer.close();
      } catch (RuntimeException e) {
        LOG.warn("closing the consumer failed: {}", e.toString());
      }
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
      LOG.warn("{}: unreadable record, dead-lettered and skipped: {}", poison.where(), LogText.of(e.toString(), MAX_LOGGED_MESSAGE));
      String code = e instanceof InvalidTextException ? "INVALID_UTF8" : "DESERIALIZATION_FAILED";
      output.execute(() -> guarded(poison, () -> {
        deadLetter(poison, code, e.toString(), 1);
        finish(poison);
      }));
      return true;
    }
    ClaimStore.Claim claim = claims.find(job);
    Job taken = new Job(record, job, now, claim != ClaimStore.Claim.NONE);
    track(taken);
    if (!job.getPackId().equals(generator.packId()) || !job.getPackVersion().equals(generator.packVersion())) {
      String message = "expected pack " + generator.packId() + "@" + generator.packVersion() + ", found "
          + job.getPackId() + "@" + job.getPackVersion();
      output.execute(() -> guarded(taken, () -> fail(taken, "PACK_MISMATCH", message, false)));
    } else if (claim.alone()) {
      output.execute(() -> guarded(taken, () -> fail(taken, "WORKER_CRASHED",
          "the worker died while " + claim.activity() + " (attempt " + job.getAttempt() + ")", true)));
    } else {
      if (claim != ClaimStore.Claim.NONE) {
        LOG.warn("{}: the worker died while {}; it runs alone now", taken.where(), claim.activity());
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
        try {
          render(batch.items());
        } catch (Throwable e) {
          // Not one job's fault (out of memory, a claim that cannot be written): stop, and let the
          // claims tell the next owner which jobs were in flight.
          LOG.error("{}: rendering a batch of {} failed outside inference; stopping", batch.items().get(0).where(),
              batch.items().size(), e);
          fatal.compareAndSet(null, e);
        }
      });
    }
  }

  /** Inference thread: renders a batch, splitting it in halves on failure until the bad job is alone. */
  private void render(List<Job> batch) {
    if (fatal.get() != null) {
      return;
    }
    List<GenerationJob> jobs = batch.stream().map(Job::job).toList();
    boolean alone = batch.size() == 1 && batch.get(0).alone();
    claims.claim(jobs, alone);
    long start = System.nanoTime();
    List<RenderedImage> images;
    try {
      List<ImageRequest> requests = new ArrayList<>(batch.size());
      for (Job j : batch) {
        requests.add(request(j.job()));
      }
      images = generator.render(requests);
      if (images.size() != batch.size()) {
        throw new IllegalStateException("expected " + batch.size() + " images from the generator, found " + images.size());
      }
    } catch (RuntimeException e) {
      Optional<String> lost = AcceleratorLoss.of(e);
      if (lost.isPresent()) {
        acceleratorLost(batch, lost.get(), e);
        return;
      }
      if (batch.size() > 1) {
        LOG.warn("{}: inference failed for a batch of {} ({}); splitting it", batch.get(0).where(), batch.size(), e.toString());
        int half = batch.size() / 2;
        render(batch.subList(0, half));
        render(batch.subList(half, batch.size()));
        return;
      }
      Job job = batch.get(0);
      // A job outside the pack's rules fails the same way every time: no retry.
      // A VAE that decodes NaN does so again: no retry either.
      boolean retryable = !(e instanceof IllegalArgumentException) && !(e instanceof VaeNanException);
      String code = e instanceof VaeNanException ? "VAE_NAN" : retryable ? "INFERENCE_ERROR" : "INVALID_JOB";
      LOG.warn("{}: inference failed: {}", job.where(), LogText.of(e.toString(), MAX_LOGGED_MESSAGE));
      hand(job, () -> fail(job, code, "generation failed: " + e, retryable));
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
      claims.delivering(job.job(), alone);
      hand(job, () -> deliver(job, image, queueNanos));
    }
  }

  /**
   * The device is gone: no job of the batch is to blame, and every later render would fail too. The jobs are
   * neither re-queued nor dead-lettered; their claims are removed (the process lives on, so they are no crash
   * suspects) and the worker stops without committing them, so that the group hands them to another worker.
   */
  private void acceleratorLost(List<Job> batch, String message, RuntimeException e) {
    LOG.error("{}: the accelerator is lost while rendering a batch of {}; stopping without committing its jobs, "
        + "their next owner renders them: {}", batch.get(0).where(), batch.size(), LogText.of(message, MAX_LOGGED_MESSAGE));
    for (Job job : batch) {
      releaseQuietly(job.job());
    }
    fatal.compareAndSet(null, new IllegalStateException("accelerator lost: " + message, e));
  }

  /** Hands a job's delivery or failure report to the output threads; after a fatal error they take no more. */
  private void hand(Job job, ThrowingRunnable task) {
    try {
      output.execute(() -> guarded(job, task));
    } catch (RejectedExecutionException e) {
      LOG.info("{}: not delivered, the worker is stopping; its next owner redoes it", job.where());
    }
  }

  static ImageRequest request(GenerationJob job) {
    String negative = job.getNormalizedNegativePrompt() == null ? null : job.getNormalizedNegativePrompt().toString();
    return new ImageRequest(job.getRewrittenPrompt().toString(), negative,
        job.getGlyphTexts().stream().map(CharSequence::toString).toList(), job.getSize().getWidth(),
        job.getSize().getHeight(), job.getSteps(), job.getGuidanceScale(), job.getSeed(), metadata(job));
  }

  /** The PNG's own entries: the job id and, when the PE stream left any, its notes as JSON. */
  static Map<String, String> metadata(GenerationJob job) {
    if (job.getPipelineNotes().isEmpty()) {
      return Map.of("job_id", job.getJobId().toString());
    }
    Map<String, String> notes = new TreeMap<>();
    job.getPipelineNotes().forEach((k, v) -> notes.put(k.toString(), v.toString()));
    try {
      return Map.of("job_id", job.getJobId().toString(), "pipeline_notes", NOTES_JSON.writeValueAsString(notes));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Output thread: PNG → S3 → GeneratedImage, each I/O step retried with backoff. An outage (broker,
   * registry, S3 unreachable) holds the job and, if it outlasts the retries, stops the worker so that the
   * job is redelivered; any other failure is this job's own and ends it at once as FAILED plus a dead letter.
   */
  private void deliver(Job job, RenderedImage image, long queueNanos) throws Exception {
    GenerationJob g = job.job();
    GeneratedPng png;
    String key;
    String step = "encoding the PNG";
    try {
      png = generator.encodePng(image);
      step = "naming the object";
      key = ObjectKeys.image(g.getRequest().getBatchId(), g.getRequest().getRequestId(), g.getVariant(), g.getSeed());
    } catch (RuntimeException e) {
      failDelivery(job, step, e);
      return;
    }
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("job-id", ObjectKeys.toMetadata(g.getJobId())); // a header: non-ASCII ids are encoded
    metadata.put("seed", Long.toString(g.getSeed()));
    metadata.put("pack-id", generator.packId());
    metadata.put("pack-version", generator.packVersion());
    metadata.put("sha256", png.sha256());
    long uploadStart = System.nanoTime();
    try {
      retry.call("upload " + key + " (" + job.where() + ")", store::isRetryable, () -> {
        store.put(key, png.png(), "image/png", metadata);
        return null;
      });
    } catch (InterruptedException e) {
      // The stop gave up waiting for this upload: the job is left to its next owner, not re-queued.
      Thread.currentThread().interrupt();
      throw e;
    } catch (Exception e) {
      fail(job, "UPLOAD_FAILED", "upload to " + store.uri(key) + " failed: " + Retry.unwrap(e), true);
      return;
    }
    long uploadNanos = System.nanoTime() - uploadStart;
    var t = png.timings();
    long produceStart = System.nanoTime();
    try {
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
      send(job, topics.imagesGenerated, g.getRequest().getRequestId(), event);
    } catch (Exception e) {
      failDelivery(job, "reporting the image", e);
      return;
    }
    metrics.image(queueNanos, t.png().toNanos(), uploadNanos, System.nanoTime() - produceStart);
    claims.release(g);
    finish(job);
  }

  /**
   * A delivery step failed. An outage (broker, registry or S3 unreachable past the retries) is rethrown,
   * which stops the worker so that the job is redelivered; anything else is this job's own fault and
   * ends it at once: FAILED plus a dead letter naming the step and the real exception.
   */
  private void failDelivery(Job job, String step, Exception e) throws Exception {
    if (isOutage(e)) {
      throw e;
    }
    fail(job, "DELIVERY_FAILED", "delivery failed while " + step + ": " + Retry.unwrap(e), false);
  }

  /** Whether an error is an outage of something the worker depends on, rather than a problem with one job. */
  static boolean isOutage(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof RetriableException || t instanceof InterruptedException || t instanceof IOException
          || t instanceof UncheckedIOException || t instanceof AuthenticationException || t instanceof AuthorizationException) {
        return true;
      }
    }
    return false;
  }

  /**
   * A job failed: re-queue it with attempt + 1 while attempts are left and the error may pass,
   * otherwise dead-letter it and report it FAILED.
   */
  private void fail(Job job, String code, String message, boolean retryable) throws Exception {
    GenerationJob g = job.job();
    if (retryable && g.getAttempt() < config.maxAttempts()) {
      GenerationJob again = GenerationJob.newBuilder(g).setAttempt(g.getAttempt() + 1).setCreatedAt(Instant.now()).build();
      LOG.warn("{}: {} on attempt {}/{}, re-queued: {}", job.where(), code, g.getAttempt(), config.maxAttempts(),
          LogText.of(message, MAX_LOGGED_MESSAGE));
      send(job, topics.generationJobs, g.getJobId().toString(), again);
      metrics.requeued(code);
    } else {
      LOG.error("{}: {} on attempt {}/{}, dead-lettered and reported FAILED: {}", job.where(), code, g.getAttempt(),
          config.maxAttempts(), LogText.of(message, MAX_LOGGED_MESSAGE));
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
      send(job, topics.imagesGenerated, g.getRequest().getRequestId(), failed);
      metrics.failed(code);
    }
    claims.release(g);
    finish(job);
  }

  private void deadLetter(Job job, String code, String message, int attempts) throws Exception {
    ConsumerRecord<byte[], byte[]> r = job.record();
    ProducerRecord<byte[], byte[]> dead = DeadLetter.of(r.key(), r.value(), r.headers(), code, message, STAGE, attempts, r.topic(),
        r.partition(), r.offset()).toProducerRecord(topics.generationJobsDlq.name());
    retry.call("dead-letter " + job.where(), GenerationWorker::retryableSend, () -> producer.send(dead).get());
    metrics.deadLettered(code);
  }

  private <V> void send(Job job, Topic<String, V> topic, String key, V value) throws Exception {
    retry.call("produce to " + topic.name() + " (" + job.where() + ")", GenerationWorker::retryableSend, () -> {
      byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
      return producer.send(new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8), bytes)).get();
    });
  }


  static boolean retryableSend(Throwable e) {
    return e instanceof RetriableException || e instanceof TimeoutException;
  }

  private void finish(Job job) {
    finished.add(job);
  }

  /**
   * Runs an output task. When even reporting a failure fails: an outage (or an Error) stops the worker
   * without committing past the job, so that it is redelivered; anything else cannot get better by
   * redelivery, so the job is given up and logged, and the worker goes on with the others.
   */
  private void guarded(Job job, ThrowingRunnable task) {
    try {
      task.run();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fatal.compareAndSet(null, e);
    } catch (Throwable e) {
      if (e instanceof Error || isOutage(e)) {
        LOG.error("{}: cannot deliver or report this job; stopping so that it is redelivered", job.where(), e);
        if (job.job() != null && !(e instanceof Error)) {
          // The process lives on: the job is no crash suspect when it comes back.
          releaseQuietly(job.job());
        }
        fatal.compareAndSet(null, e);
        return;
      }
      LOG.error("{}: cannot report the outcome of this job, given up (its request ends by the scoring stream's timeout): {}",
          job.where(), LogText.of(e.toString(), MAX_LOGGED_MESSAGE));
      metrics.failed("REPORT_FAILED");
      if (job.job() != null) {
        claims.release(job.job());
      }
      finish(job);
    }
  }

  private void releaseQuietly(GenerationJob job) {
    try {
      claims.release(job);
    } catch (RuntimeException e) {
      LOG.warn("claim of job {} cannot be removed: {}", LogText.of(job.getJobId()), e.toString());
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
   * already dropped), committing as jobs finish; gives up after the drain timeout ({@link WorkerConfig#drainTimeout()}).
   */
  private void awaitStarted(Collection<TopicPartition> partitions) {
    long deadline = System.nanoTime() + config.drainTimeout().toNanos();
    while (offsets.startedPending(partitions) > 0 && fatal.get() == null) {
      if (System.nanoTime() > deadline) {
        LOG.warn("{} started job(s) of {} not finished after {}; their next owner redoes them",
            offsets.startedPending(partitions), partitions, config.drainTimeout());
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

  private void commitQuietly() {
    try {
      commitFinished(true);
    } catch (RuntimeException e) {
      LOG.warn("commit after the stop failed; the next owner redoes the jobs it held: {}", e.toString());
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
      joined = false;
      abandonHeld(partitions);
      partitions.forEach(offsets::forget);
      paused.removeAll(partitions);
      LOG.warn("lost {}: nothing committed; their next owner redoes unfinished jobs", partitions);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      joined = true;
      LOG.info("assigned {}", partitions);
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "worker-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
