package io.inkflow.streams.batches;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class BatchProgressTest {

  @Test
  void roundTripsAndStillReadsTheUnversionedLayoutEarlierBuildsWrote() {
    for (BatchProgress p : new BatchProgress[] {BatchProgress.EMPTY, new BatchProgress(10, 4, 2, 1, 1, 0, 7, 1, false, 1_764_000_000_000L),
        new BatchProgress(3, 3, 3, 0, 0, 0, 6, 0, true, 42L)}) {
      byte[] bytes = BatchProgress.SERDE.encode(p);
      assertThat(bytes[0]).isEqualTo((byte) 2);
      assertThat(BatchProgress.SERDE.decode(bytes)).isEqualTo(p);
      // The 41-byte layout before the version byte (expected first: 0x00.. or 0xFF.. for -1).
      ByteBuffer legacy = ByteBuffer.allocate(41);
      legacy.putInt(p.expected()).putInt(p.received()).putInt(p.completed()).putInt(p.partial()).putInt(p.failed())
          .putInt(p.rejected()).putInt(p.imagesGenerated()).putInt(p.badCases()).put((byte) (p.done() ? 1 : 0)).putLong(p.lastAt());
      assertThat(BatchProgress.SERDE.decode(legacy.array())).isEqualTo(p);
    }
  }
}
