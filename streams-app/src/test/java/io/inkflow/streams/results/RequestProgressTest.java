package io.inkflow.streams.results;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Verdict;
import io.inkflow.streams.scoring.ScoringFixtures;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestProgressTest {

  @Test
  void roundTripsAndStillReadsTheUnversionedLayoutEarlierBuildsWrote() throws Exception {
    ScoredImage s = ScoringFixtures.scored("r", 0, 2, 0.7, Verdict.ACCEPTED);
    RequestProgress open = new RequestProgress(false, 1_764_000_000_000L, 2, List.of(s));
    assertThat(RequestProgress.SERDE.decode(RequestProgress.SERDE.encode(open))).isEqualTo(open);
    // The layout before the version byte: done, since, numVariants, then each variant length-prefixed.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeBoolean(false);
      out.writeLong(1_764_000_000_000L);
      out.writeInt(2);
      out.writeInt(1);
      ByteBuffer b = s.toByteBuffer();
      out.writeInt(b.remaining());
      out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
    }
    assertThat(RequestProgress.SERDE.decode(bytes.toByteArray())).isEqualTo(open);
    RequestProgress done = new RequestProgress(true, 5L, 2, List.of());
    assertThat(RequestProgress.SERDE.decode(RequestProgress.SERDE.encode(done))).isEqualTo(done);
  }
}
