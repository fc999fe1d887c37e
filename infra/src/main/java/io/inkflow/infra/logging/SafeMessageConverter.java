package io.inkflow.infra.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.inkflow.common.LogText;

/**
 * {@code %safeMsg}: the formatted message with control, bidi and line-separator characters escaped and
 * its length capped, for every logger of every service — Kafka's and the libraries' included — so a
 * value that reached a message unquoted still cannot forge or hide log lines. Call sites also quote
 * client-controlled values through {@link LogText}, which cuts them much shorter.
 */
public final class SafeMessageConverter extends MessageConverter {
  /** Longest message a log line carries. */
  static final int MAX_MESSAGE_CHARS = 8000;

  @Override
  public String convert(ILoggingEvent event) {
    return LogText.of(event.getFormattedMessage(), MAX_MESSAGE_CHARS);
  }
}
