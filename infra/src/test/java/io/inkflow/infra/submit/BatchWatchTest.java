package io.inkflow.infra.submit;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.Verdict;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchWatchTest {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");

  @Test
  void progressBarCountsRequestsImagesAndEta() {
    BatchWatch p = new BatchWatch("b", 4, 0);
    p.accept(RequestResult.newBuilder().setRequestId("b.1").setBatchId("b")
        .setStatus(RequestStatus.COMPLETED).setCompletedAt(NOW)
        .setVariants(List.of(RankedVariant.newBuilder().setJobId("b.1-0").setVariant(0).setSeed(1)
            .setImageUri("s3://x/y.png").setVerdict(Verdict.ACCEPTED).build())).build());
    p.accept(RequestResult.newBuilder().setRequestId("other").setBatchId("c")
        .setStatus(RequestStatus.REJECTED).setCompletedAt(NOW).build());
    assertThat(p.done()).isEqualTo(1);
    assertThat(p.images()).isEqualTo(1);
    assertThat(p.bar(2_000_000_000L, 8)).isEqualTo("[##......] 1/4 requests  1 images  0.5 images/s  ETA 0:06");
    assertThat(p.allRequestsTerminal()).isFalse();
  }
}
