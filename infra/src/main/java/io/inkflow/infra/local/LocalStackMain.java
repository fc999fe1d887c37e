package io.inkflow.infra.local;

import io.inkflow.schemas.TopicSettings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code scripts/local-up}: runs the local stack in the foreground until SIGTERM/Ctrl-C, printing the
 * connection settings; with {@code --self-check} starts a throw-away stack on free ports, checks
 * every topic and S3, stops it and exits 0 only if everything worked.
 */
public final class LocalStackMain {
  private static final Logger LOG = LoggerFactory.getLogger(LocalStackMain.class);

  private LocalStackMain() {}

  public static void main(String[] args) {
    boolean selfCheck = false;
    for (String arg : args) {
      switch (arg) {
        case "--self-check" -> selfCheck = true;
        case "-h", "--help" -> {
          System.out.println("usage: local-up [--self-check]\n"
              + "  env: INKFLOW_LOCAL_DATA_DIR, INKFLOW_KAFKA_PORT (9092), INKFLOW_CONTROLLER_PORT (9093),\n"
              + "       INKFLOW_REGISTRY_PORT (8081), INKFLOW_S3_PORT (9000), INKFLOW_S3_STORAGE (transient|filesystem),\n"
              + "       INKFLOW_S3_BUCKET (inkflow-images), INKFLOW_TOPIC_PARTITIONS (6),\n"
              + "       INKFLOW_TOPIC_PARTITIONS_<TOPIC>, INKFLOW_TOPIC_REPLICATION_FACTOR (1), INKFLOW_TOPIC_MIN_ISR (1);\n"
              + "       INKFLOW_PACK_DIR, INKFLOW_REWARD_PACK_DIR are printed for the services (scripts/local-up: the mini packs)");
          return;
        }
        default -> {
          System.err.println("unknown argument '" + arg + "'; expected --self-check or --help");
          System.exit(2);
        }
      }
    }
    System.exit(selfCheck ? selfCheck() : foreground());
  }

  private static int selfCheck() {
    long t0 = System.nanoTime();
    SelfCheck.Result result;
    long startMs;
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral())) {
      startMs = stack.startMillis();
      result = SelfCheck.run(stack);
    } catch (RuntimeException e) {
      LOG.error("local stack self-check could not start the stack", e);
      System.out.println("self-check FAILED: stack did not start: " + e.getMessage());
      return 1;
    }
    long totalMs = (System.nanoTime() - t0) / 1_000_000;
    result.failures().forEach(f -> System.out.println("  failed: " + f));
    System.out.printf("self-check %s: started in %d ms, %d/%d topics produced+consumed, s3 put+get %s, stopped, %d ms in all%n",
        result.ok() ? "OK" : "FAILED", startMs, result.topicsChecked(), result.topicsTotal(), result.s3Ok() ? "ok" : "failed", totalMs);
    return result.ok() ? 0 : 1;
  }

  private static int foreground() {
    LocalStackConfig config = LocalStackConfig.fromEnv(System.getenv());
    LocalStack stack = LocalStack.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      LOG.info("stopping local stack");
      try {
        stack.close();
        System.out.println("inkflow local stack stopped");
        System.out.flush();
      } finally {
        stopped.countDown();
      }
    }, "local-stack-shutdown"));
    StringBuilder ready = new StringBuilder(String.format("inkflow local stack ready in %d ms (data in %s). Connect with:%n",
        stack.startMillis(), stack.dataDir()));
    exports(stack.connection(), stack.dataDir(), stack.topics().settings(), System.getenv())
        .forEach((k, v) -> ready.append("export ").append(k).append('=').append(shellQuoted(v)).append(System.lineSeparator()));
    ready.append("then start the services, each in a shell with those settings: scripts/pe-rewrite, scripts/worker, scripts/scoring")
        .append(System.lineSeparator());
    // One write, so a reader that waits for the last export line sees all of them.
    System.out.print(ready);
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /**
   * What the services need to run against this stack: its data directory (the launchers keep Streams
   * state under it), the model packs {@code scripts/local-up} chose ({@code INKFLOW_PACK_DIR},
   * {@code INKFLOW_REWARD_PACK_DIR} in {@code env}, as absolute paths), the topic settings the stack created its
   * topics with (services check them at start) and, last, the connection settings.
   */
  static Map<String, String> exports(ConnectionSettings connection, Path dataDir, Map<String, String> env) {
    return exports(connection, dataDir, TopicSettings.defaults(), env);
  }

  static Map<String, String> exports(ConnectionSettings connection, Path dataDir, TopicSettings topics, Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("INKFLOW_LOCAL_DATA_DIR", dataDir.toAbsolutePath().toString());
    for (String pack : List.of("INKFLOW_PACK_DIR", "INKFLOW_REWARD_PACK_DIR")) {
      String dir = env.get(pack);
      if (dir != null && !dir.isBlank()) {
        out.put(pack, Path.of(dir).toAbsolutePath().normalize().toString());
      }
    }
    out.putAll(topics.asEnv());
    out.putAll(connection.asEnv());
    return out;
  }

  /** {@code value} as one shell word: unchanged when it needs no quoting, else in single quotes. */
  static String shellQuoted(String value) {
    return value.matches("[A-Za-z0-9_./:,@%+=-]+") ? value : "'" + value.replace("'", "'\\''") + "'";
  }
}
