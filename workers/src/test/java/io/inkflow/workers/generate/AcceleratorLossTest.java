package io.inkflow.workers.generate;

import static io.inkflow.workers.generate.WorkerHarness.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.onnxruntime.OrtException;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.runtime.InferenceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A lost accelerator stops the worker without committing, re-queuing or dead-lettering the batch it was rendering. */
class AcceleratorLossTest {

  private static InferenceException ort(String status) {
    return new InferenceException("pack: inference failed for a batch of 4",
        new OrtException(OrtException.OrtErrorCode.ORT_FAIL, "Non-zero status code returned while running Conv node. Status Message: " + status));
  }

  @Test
  void cudaErrorsThatLeaveTheDeviceUnusableAreALossOthersAreNot() {
    assertThat(AcceleratorLoss.of(ort("CUDA failure 999: unknown error ; GPU=0 ; hostname=h ; expr=cudaStreamSynchronize(s);")))
        .hasValueSatisfying(m -> assertThat(m).contains("CUDA failure 999"));
    assertThat(AcceleratorLoss.of(ort("CUDA failure 700: an illegal memory access was encountered ; GPU=1"))).isPresent();
    assertThat(AcceleratorLoss.of(ort("CUDA failure 214: uncorrectable ECC error encountered ; GPU=0"))).isPresent();
    assertThat(AcceleratorLoss.of(new IllegalStateException("wrapped", ort("CUDA failure 46: all CUDA-capable devices are busy or unavailable"))))
        .isPresent();
    // Out of memory depends on the batch: the worker's split handles it.
    assertThat(AcceleratorLoss.of(ort("CUDA failure 2: out of memory ; GPU=0"))).isEmpty();
    assertThat(AcceleratorLoss.of(ort("CUBLAS failure 14: CUBLAS_STATUS_INTERNAL_ERROR"))).isEmpty();
    assertThat(AcceleratorLoss.of(new RuntimeException("ORT failed: bad input"))).isEmpty();
    assertThat(AcceleratorLoss.of(ort("CUDA failure 99999999999: ?"))).isEmpty();
    assertThat(AcceleratorLoss.of(new RuntimeException((String) null))).isEmpty();
  }

  @Test
  void theSimulatedAcceleratorFailsTheWayOnnxRuntimeDoesAndStaysLost() {
    SimulatedAccelerator device = new SimulatedAccelerator("p", "1",
        new SimulatedAccelerator.Latency(Duration.ofMillis(2), Duration.ofMillis(1)),
        SimulatedAccelerator.encode(1, 8, 8, PngEncoder.fast())).loseDeviceDuringBatch(1);
    var request = GenerationWorker.request(job("r0", 0, 8, 1));
    assertThat(device.render(List.of(request, request))).hasSize(2);
    for (int i = 0; i < 2; i++) {
      try {
        device.render(List.of(request));
        throw new AssertionError("expected the lost device to throw");
      } catch (InferenceException e) {
        assertThat(e.getCause()).isInstanceOf(OrtException.class);
        assertThat(AcceleratorLoss.of(e)).isPresent();
      }
    }
    assertThat(device.lost()).isTrue();
    // Two batches held (the one that completed and the one the loss cut short); the call after the loss held nothing.
    assertThat(device.busy()).hasSize(2);
    assertThat(device.busy().get(0).toEpochNanos() - device.busy().get(0).fromEpochNanos())
        .isGreaterThanOrEqualTo(Duration.ofMillis(4).toNanos());
  }

  @Test
  void aLostAcceleratorStopsTheWorkerWithTheBatchUncommittedAndNotRequeued(@TempDir Path dir) throws Exception {
    SimulatedAccelerator device = new SimulatedAccelerator(WorkerHarness.PACK, WorkerHarness.VERSION,
        new SimulatedAccelerator.Latency(Duration.ofMillis(5), Duration.ofMillis(1)),
        SimulatedAccelerator.encode(2, 16, 16, PngEncoder.fast())).loseDeviceDuringBatch(1);
    try (WorkerHarness h = new WorkerHarness()) {
      h.engine = device;
      h.claims = new FileClaimStore(dir);
      h.config = WorkerHarness.config(4, Duration.ofSeconds(5), 3);
      h.start();
      for (int i = 0; i < 4; i++) {
        h.send(h.p0, job("a" + i, 0, 16, 1));
      }
      h.awaitCommitted(h.p0, 4);
      for (int i = 0; i < 4; i++) {
        h.send(h.p0, job("b" + i, 0, 16, 1));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> h.died != null);
      assertThat(h.died).hasMessageContaining("worker cannot go on")
          .rootCause().hasMessageContaining("CUDA failure 999");
      assertThat(h.worker.notReady()).hasValueSatisfying(why -> assertThat(why).contains("accelerator lost"));
      // The second batch: not committed, not re-queued, not dead-lettered, no result; its claims removed.
      assertThat(h.consumer.lastCommitted.get(h.p0)).isEqualTo(4L);
      assertThat(h.requeued()).isEmpty();
      assertThat(h.deadLetters()).isEmpty();
      assertThat(h.results()).extracting(r -> r.getJob().getJobId().toString())
          .containsExactlyInAnyOrder("a0-0", "a1-0", "a2-0", "a3-0");
      try (Stream<Path> left = Files.list(dir)) {
        assertThat(left).as("claims left").isEmpty();
      }
    }
  }
}
