package io.inkflow.workers.generate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The worker's meters: images/s ({@code inkflow.worker.images} counter), batch-size histogram,
 * per-stage latency timers, queue depths, retries, re-queues, dead letters and failures, and the
 * accelerator's busy fraction (inference time ÷ wall time since start).
 */
public final class MicrometerWorkerMetrics implements WorkerMetrics {
  private final MeterRegistry registry;
  private final Counter images;
  private final DistributionSummary batchSize;
  private final Timer inference;
  private final Timer queue;
  private final Timer png;
  private final Timer upload;
  private final Timer produce;
  private final AtomicLong busyNanos = new AtomicLong();
  private final long startNanos = System.nanoTime();

  public MicrometerWorkerMetrics(MeterRegistry registry) {
    this.registry = registry;
    images = Counter.builder("inkflow.worker.images").description("images generated and delivered").register(registry);
    batchSize = DistributionSummary.builder("inkflow.worker.batch.size").description("images per inference call")
        .serviceLevelObjectives(1, 2, 4, 8, 16, 32).register(registry);
    inference = stage("inference");
    queue = stage("queue");
    png = stage("png");
    upload = stage("upload");
    produce = stage("produce");
    Gauge.builder("inkflow.worker.accelerator.busy", this, m -> m.busyFraction())
        .description("inference time / wall time since start").register(registry);
    // The commonest dead-letter codes exist from the first scrape, so rate() and the dashboard read 0, not "no data";
    // any other code appears as its own series when it first happens.
    for (String code : List.of("DESERIALIZATION_FAILED", "PACK_MISMATCH")) {
      registry.counter("inkflow.worker.dead.letters", "code", code);
    }
  }

  private Timer stage(String name) {
    return Timer.builder("inkflow.worker.stage").tag("stage", name).publishPercentiles(0.5, 0.99).register(registry);
  }

  /** Inference time ÷ wall time since this object was made. */
  public double busyFraction() {
    long wall = System.nanoTime() - startNanos;
    return wall <= 0 ? 0 : (double) busyNanos.get() / wall;
  }

  @Override
  public void gauges(Supplier<Number> inFlightJobs, Supplier<Number> queuedBatches) {
    // Strong references: a gauge holds its object weakly, and nothing else holds these suppliers (NaN after the first GC).
    Gauge.builder("inkflow.worker.jobs.in.flight", inFlightJobs, s -> s.get().doubleValue()).strongReference(true).register(registry);
    Gauge.builder("inkflow.worker.batches.queued", queuedBatches, s -> s.get().doubleValue()).strongReference(true).register(registry);
  }

  @Override
  public void batch(int size, long nanos) {
    batchSize.record(size);
    inference.record(nanos, TimeUnit.NANOSECONDS);
    busyNanos.addAndGet(nanos);
  }

  @Override
  public void image(long queueNanos, long pngNanos, long uploadNanos, long produceNanos) {
    images.increment();
    queue.record(queueNanos, TimeUnit.NANOSECONDS);
    png.record(pngNanos, TimeUnit.NANOSECONDS);
    upload.record(uploadNanos, TimeUnit.NANOSECONDS);
    produce.record(produceNanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void retry(String what) {
    registry.counter("inkflow.worker.retries").increment();
  }

  @Override
  public void requeued(String code) {
    registry.counter("inkflow.worker.requeued", "code", code).increment();
  }

  @Override
  public void deadLettered(String code) {
    registry.counter("inkflow.worker.dead.letters", "code", code).increment();
  }

  @Override
  public void failed(String code) {
    registry.counter("inkflow.worker.failed", "code", code).increment();
  }
}
