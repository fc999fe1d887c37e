package io.inkflow.testing.arbitrary;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.PromptRequest;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.EmbeddedSchemaRegistry;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.apache.kafka.common.errors.SerializationException;

/**
 * The project's Avro serde on arbitrary requests: a request with a null where the schema forbids one
 * is refused with a SerializationException (the client gets an error, nothing reaches the topic);
 * every other one reads back as it was written, its text as UTF-8 carries it (a lone surrogate
 * becomes '?').
 */
class PromptRequestSerdePropertyTest {
  private static EmbeddedSchemaRegistry registry;
  private static RestSchemaRegistryClient client;
  private static Topic<String, PromptRequest> topic;

  @BeforeContainer
  static void startRegistry() throws Exception {
    registry = EmbeddedSchemaRegistry.start();
    client = new RestSchemaRegistryClient(RegistryClientConfig.of(registry.url()));
    topic = Topics.create(client, "serde-props.", 1, true).promptRequests;
  }

  @AfterContainer
  static void stopRegistry() {
    client.close();
    registry.close();
  }

  @Provide
  Arbitrary<PromptRequest> requests() {
    return ArbitraryEvents.requests();
  }

  @Property(seed = "4711")
  void aRequestIsRefusedExactlyWhenItHoldsAForbiddenNullAndOtherwiseReadsBackAsUtf8CarriesIt(@ForAll("requests") PromptRequest request) {
    List<String> nulls = ArbitraryEvents.nullsWhereForbidden(request);
    byte[] bytes;
    try {
      bytes = topic.valueSerde().serializer().serialize(topic.name(), request);
    } catch (SerializationException e) {
      Statistics.label("outcome").collect("refused: null " + nulls);
      assertThat(nulls).as("the serializer refused %s: %s", ArbitraryEvents.summary(request), e).isNotEmpty();
      return;
    }
    Statistics.label("outcome").collect("written");
    assertThat(nulls).as("the serializer wrote a request holding forbidden nulls").isEmpty();
    PromptRequest back = topic.valueSerde().deserializer().deserialize(topic.name(), bytes);
    assertThat(back).isEqualTo(asUtf8Carries(request));
  }

  /** The request with every string as it reads after a trip through UTF-8. */
  static PromptRequest asUtf8Carries(PromptRequest r) {
    PromptRequest c = PromptRequest.newBuilder(r).build();
    c.setRequestId(ArbitraryText.afterUtf8(r.getRequestId()));
    c.setBatchId(ArbitraryText.afterUtf8(r.getBatchId()));
    c.setPrompt(ArbitraryText.afterUtf8(r.getPrompt()));
    c.setNegativePrompt(ArbitraryText.afterUtf8(r.getNegativePrompt()));
    c.setAspect(ArbitraryText.afterUtf8(r.getAspect()));
    c.setRenderText(r.getRenderText() == null ? null : r.getRenderText().stream().map(ArbitraryText::afterUtf8).toList());
    Map<String, String> tags = new LinkedHashMap<>();
    r.getTags().forEach((k, v) -> tags.put(ArbitraryText.afterUtf8(k), ArbitraryText.afterUtf8(v)));
    c.setTags(tags);
    return c;
  }
}
