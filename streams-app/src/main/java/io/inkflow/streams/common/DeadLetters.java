package io.inkflow.streams.common;

import io.inkflow.common.deadletter.DeadLetter;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** The processor-side form of a {@link DeadLetter}: forwarded to a topology's dead-letter sink, inside the exactly-once transaction. */
public final class DeadLetters {
  private DeadLetters() {}

  /** Forwards {@code letter} to {@code sink} with the original record's {@code timestamp}. */
  public static void forward(ProcessorContext<Object, Object> context, String sink, DeadLetter letter, long timestamp) {
    context.forward(new Record<Object, Object>(letter.key(), letter.value(), timestamp, letter.headers()), sink);
  }
}
