package io.inkflow.workers.generate;

import java.util.function.Supplier;

/** What the worker reports. {@link #NONE} records nothing. */
public interface WorkerMetrics {
  WorkerMetrics NONE = new WorkerMetrics() {};

  /** Exposes gauges: jobs held between poll and commit, batches waiting for the accelerator. */
  default void gauges(Supplier<Number> inFlightJobs, Supplier<Number> queuedBatches) {}

  /** One inference call of {@code size} images took {@code nanos}. */
  default void batch(int size, long nanos) {}

  /** Per-image stage times: waiting in the queue, PNG encoding, upload, produce. */
  default void image(long queueNanos, long pngNanos, long uploadNanos, long produceNanos) {}

  /** One retried S3 upload or produce. */
  default void retry(String what) {}

  /** One job re-queued with attempt + 1. */
  default void requeued(String code) {}

  /** One record dead-lettered, with its error code. */
  default void deadLettered(String code) {}

  /** One FAILED result produced. */
  default void failed(String code) {}
}
