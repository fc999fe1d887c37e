package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MicrometerWorkerMetricsTest {
  @Test
  void theWorkersGaugesStillReadAfterAGarbageCollection() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MicrometerWorkerMetrics metrics = new MicrometerWorkerMetrics(registry);
    AtomicInteger inFlight = new AtomicInteger(7);
    AtomicInteger queued = new AtomicInteger(2);
    // Bound method references, as the worker passes them: nothing but the gauge holds these objects.
    metrics.gauges(inFlight::get, queued::get);
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    inFlight.set(9);
    assertThat(registry.get("inkflow.worker.jobs.in.flight").gauge().value()).isEqualTo(9.0);
    assertThat(registry.get("inkflow.worker.batches.queued").gauge().value()).isEqualTo(2.0);
  }
}
