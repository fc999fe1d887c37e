package io.inkflow.testing.arbitrary;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.Topics;
import io.inkflow.testing.MemoryRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;

/**
 * People's judgements through the project's serde on their own topics: hostile annotator names and
 * reasons, every optional field absent. A judgement is refused exactly when one of its strings holds an
 * unpaired UTF-16 surrogate (which UTF-8 cannot carry: the labelling tool gets an error, nothing reaches
 * the topic); every other one reads back exactly as it was written.
 */
class HumanLabelSerdePropertyTest {
  private static MemoryRegistry client;
  private static Topics topics;

  @BeforeContainer
  static void startRegistry() {
    client = new MemoryRegistry();
    topics = Topics.create(client, "label-props.", 1, true);
  }

  @AfterContainer
  static void stopRegistry() {
    client.close();
  }

  @Provide
  Arbitrary<HumanPreference> preferences() {
    return ArbitraryEvents.humanPreferences();
  }

  @Provide
  Arbitrary<HumanVerdict> verdicts() {
    return ArbitraryEvents.humanVerdicts();
  }

  @Property(seed = "4712")
  void aPreferenceTravelsUnchangedUnlessUtf8CannotCarryIt(@ForAll("preferences") HumanPreference preference) {
    roundTripOrRefuse(topics.humanPreferences, preference);
  }

  @Property(seed = "4713")
  void aVerdictTravelsUnchangedUnlessUtf8CannotCarryIt(@ForAll("verdicts") HumanVerdict verdict) {
    roundTripOrRefuse(topics.humanVerdicts, verdict);
  }

  private static <V extends SpecificRecord> void roundTripOrRefuse(Topic<String, V> topic, V value) {
    boolean unpaired = strings(value).stream().anyMatch(Utf16::hasUnpairedSurrogate);
    byte[] bytes;
    try {
      bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
    } catch (SerializationException e) {
      Statistics.label("outcome").collect("refused");
      assertThat(unpaired).as("the serializer refused a writable value: %s", e).isTrue();
      return;
    }
    Statistics.label("outcome").collect("written");
    assertThat(unpaired).as("the serializer wrote a string UTF-8 cannot carry").isFalse();
    assertThat(topic.valueSerde().deserializer().deserialize(topic.name(), bytes)).isEqualTo(value);
  }

  /** Every string of a flat record: its string fields and the elements of its string lists. */
  private static List<String> strings(SpecificRecord record) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < record.getSchema().getFields().size(); i++) {
      Object v = record.get(i);
      if (v instanceof CharSequence s) {
        out.add(s.toString());
      } else if (v instanceof Collection<?> c) {
        c.forEach(e -> out.add(String.valueOf(e)));
      }
    }
    return out;
  }
}
