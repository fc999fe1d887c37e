package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AcceptedRequestTest {
  static final String SHA = "9f2c".repeat(16);

  @Test
  void roundTripsAndStillReadsTheUnversionedStringEarlierBuildsWrote() {
    AcceptedRequest a = new AcceptedRequest(SHA, 1_764_000_000_123L);
    byte[] bytes = AcceptedRequest.SERDE.encode(a);
    assertThat(bytes[0]).isEqualTo((byte) 2);
    assertThat(AcceptedRequest.SERDE.decode(bytes)).isEqualTo(a);
    // What the identity store's changelog holds from before the version byte: "<sha>|<millis>".
    byte[] legacy = (SHA + "|1764000000123").getBytes(StandardCharsets.UTF_8);
    assertThat(AcceptedRequest.SERDE.decode(legacy)).isEqualTo(a);
    assertThatThrownBy(() -> AcceptedRequest.SERDE.decode(new byte[] {9, 0, 1}))
        .isInstanceOf(SerializationException.class).hasMessageContaining("unknown version 9").hasMessageContaining("this build writes 2");
  }
}
