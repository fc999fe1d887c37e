package io.inkflow.workers.generate;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Records what the named loggers log at DEBUG and above, whatever the test configuration's levels, until closed. */
final class LogCapture implements AutoCloseable {
  private final List<Logger> loggers = new ArrayList<>();
  private final List<Level> levels = new ArrayList<>();
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture() {}

  static LogCapture of(String... names) {
    LogCapture capture = new LogCapture();
    capture.appender.start();
    for (String name : names) {
      Logger logger = (Logger) LoggerFactory.getLogger(name);
      capture.loggers.add(logger);
      capture.levels.add(logger.getLevel());
      logger.setLevel(Level.DEBUG);
      logger.addAppender(capture.appender);
    }
    return capture;
  }

  /** The events at {@code level} or above, as "LEVEL logger: message" lines. */
  List<String> atLeast(Level level) {
    synchronized (appender.list) {
      return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(level))
          .map(e -> e.getLevel() + " " + e.getLoggerName() + ": " + e.getFormattedMessage()
              + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getClassName()))
          .toList();
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < loggers.size(); i++) {
      loggers.get(i).detachAppender(appender);
      loggers.get(i).setLevel(levels.get(i));
    }
    appender.stop();
  }
}
