package io.inkflow.testing.arbitrary;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.PromptRequest;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.testing.MemoryRegistry;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The project's Avro serde on arbitrary requests: a request with a null where the schema forbids one,
 * or a string holding an unpaired UTF-16 surrogate (which UTF-8 cannot carry), is refused with a
 * SerializationException (the client gets an error, nothing reaches the topic); every other one reads
 * back exactly as it was written.
 */
class PromptRequestSerdePropertyTest {
  private static MemoryRegistry client;
  private static Topic<String, PromptRequest> topic;

  @BeforeContainer
  static void startRegistry() throws Exception {
    client = new MemoryRegistry();
    topic = Topics.create(client, "serde-props.", 1, true).promptRequests;
  }

  @AfterContainer
  static void stopRegistry() {
    client.close();
  }

  @Provide
  Arbitrary<PromptRequest> requests() {
    return ArbitraryEvents.requests();
  }

  @Property(seed = "4711")
  void aRequestIsRefusedExactlyWhenItCannotTravelAndOtherwiseReadsBackUnchanged(@ForAll("requests") PromptRequest request) {
    List<String> nulls = ArbitraryEvents.nullsWhereForbidden(request);
    boolean unpaired = nulls.isEmpty() && strings(request).stream().anyMatch(Utf16::hasUnpairedSurrogate);
    byte[] bytes;
    try {
      bytes = topic.valueSerde().serializer().serialize(topic.name(), request);
    } catch (SerializationException e) {
      Statistics.label("outcome").collect(unpaired ? "refused: unpaired surrogate" : "refused: null " + nulls);
      assertThat(!nulls.isEmpty() || unpaired).as("the serializer refused %s: %s", ArbitraryEvents.summary(request), e).isTrue();
      return;
    }
    Statistics.label("outcome").collect("written");
    assertThat(nulls).as("the serializer wrote a request holding forbidden nulls").isEmpty();
    assertThat(unpaired).as("the serializer wrote a string UTF-8 cannot carry").isFalse();
    assertThat(topic.valueSerde().deserializer().deserialize(topic.name(), bytes)).isEqualTo(request);
  }

  private static List<String> strings(PromptRequest r) {
    List<String> out = new java.util.ArrayList<>(java.util.Arrays.asList(r.getRequestId(), r.getBatchId(), r.getPrompt(),
        r.getNegativePrompt(), r.getAspect()));
    if (r.getRenderText() != null) {
      out.addAll(r.getRenderText());
    }
    r.getTags().forEach((k, v) -> {
      out.add(k);
      out.add(v);
    });
    return out;
  }
}
