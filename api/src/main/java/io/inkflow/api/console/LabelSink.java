package io.inkflow.api.console;

import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;

/**
 * Where the console's people's judgements go: {@code human-preferences} and {@code human-verdicts} in the
 * service, a list in tests. A send returns once the record is acknowledged, so a page that says "saved"
 * is telling the truth.
 */
public interface LabelSink {
  void send(HumanPreference judgement);

  void send(HumanVerdict review);
}
