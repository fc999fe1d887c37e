package io.inkflow.infra.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.inkflow.common.LogText;
import org.junit.jupiter.api.Test;

class SafeMessageConverterTest {

  private static String converted(String pattern, Object... args) {
    LoggerContext context = new LoggerContext();
    LoggingEvent event = new LoggingEvent("x", context.getLogger("x"), Level.WARN, pattern, null, args);
    return new SafeMessageConverter().convert(event);
  }

  @Test
  void aValueCannotForgeALineOrHideTextButOrdinaryTextStaysAsItIs() {
    assertThat(converted("request {} rejected", "r1\n12:00:00.000 INFO  [main] forged - all good"))
        .isEqualTo("request r1\\u000A12:00:00.000 INFO  [main] forged - all good rejected");
    assertThat(converted("{}", "\u001b[31mred\u001b[0m \u202eevil\u2066 \u2028x\r"))
        .isEqualTo("\\u001B[31mred\\u001B[0m \\u202Eevil\\u2066 \\u2028x\\u000D");
    assertThat(converted("批次 {} 完成 ✓ {}", "春-001", "🐱")).isEqualTo("批次 春-001 完成 ✓ 🐱");
    assertThat(converted("{}", "x".repeat(20_000))).hasSize(SafeMessageConverter.MAX_MESSAGE_CHARS + "…[20000 chars]".length());
  }

  @Test
  void logTextCutsIdsAndKeepsTheirLength() {
    String id = "a".repeat(1011);
    assertThat(LogText.of(id)).isEqualTo("a".repeat(LogText.MAX_CHARS) + "…[1011 chars]");
    assertThat(LogText.of("plain-id.1")).isEqualTo("plain-id.1");
    assertThat(LogText.of(null)).isEqualTo("null");
    // A cut never splits a surrogate pair.
    String emoji = "x".repeat(LogText.MAX_CHARS - 1) + "🐱🐱";
    assertThat(LogText.of(emoji)).isEqualTo("x".repeat(LogText.MAX_CHARS - 1) + "…[" + emoji.length() + " chars]");
  }
}
