package io.inkflow.streams.common;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a streams app runs: a {@link StreamsService} (start-up checks, HTTP port, the topology with a
 * failed stream thread replaced, so a task that failed on an outage restarts and exactly-once replays it),
 * closed on SIGTERM.
 */
public final class StreamsMain {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsMain.class);

  private StreamsMain() {}

  /** Starts {@code service} and runs until the JVM is asked to stop, then closes it. */
  public static void run(String name, StreamsService service) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping {}", name);
      service.close();
      stopped.countDown();
    }, name + "-shutdown"));
    service.start();
    stopped.await();
  }
}
