package io.inkflow.streams.common;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way a streams app runs: start the topology, replace a failed stream thread (a task that failed
 * on an outage restarts and exactly-once replays it), and on SIGTERM leave the group, close with a
 * timeout, then close the app's resources in reverse order.
 */
public final class StreamsMain {
  private static final Logger LOG = LoggerFactory.getLogger(StreamsMain.class);
  /** How long a close waits for in-flight work before giving up. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

  private StreamsMain() {}

  /**
   * Runs until the JVM is asked to stop.
   *
   * @param name the app's name, for logs and the shutdown thread
   * @param resources what the app opened for the topology (models, clients), closed after the streams, last first
   */
  public static void run(String name, Topology topology, Properties props, String runningMessage, List<AutoCloseable> resources)
      throws InterruptedException {
    KafkaStreams streams = new KafkaStreams(topology, props);
    streams.setUncaughtExceptionHandler(e -> {
      LOG.error("{}: stream thread failed; replacing it", name, e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping {}", name);
      // Leave the group so the remaining instances take over at once instead of after the session timeout.
      streams.close(CloseOptions.timeout(CLOSE_TIMEOUT).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      List<AutoCloseable> reversed = new ArrayList<>(resources);
      Collections.reverse(reversed);
      for (AutoCloseable r : reversed) {
        try {
          r.close();
        } catch (Exception e) {
          LOG.warn("{}: closing {} failed: {}", name, r, e.toString());
        }
      }
      stopped.countDown();
    }, name + "-shutdown"));
    streams.start();
    LOG.info("{}", runningMessage);
    stopped.await();
  }
}
