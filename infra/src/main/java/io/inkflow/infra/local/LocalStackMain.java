package io.inkflow.infra.local;

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
  private static final Logger log = LoggerFactory.getLogger(LocalStackMain.class);

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
              + "       INKFLOW_S3_BUCKET (inkflow-images), INKFLOW_PARTITIONS (6)");
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
      log.error("local stack self-check could not start the stack", e);
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
      log.info("stopping local stack");
      try {
        stack.close();
        System.out.println("inkflow local stack stopped");
        System.out.flush();
      } finally {
        stopped.countDown();
      }
    }, "local-stack-shutdown"));
    System.out.printf("inkflow local stack ready in %d ms (data in %s). Connect with:%n", stack.startMillis(), stack.dataDir());
    for (Map.Entry<String, String> e : stack.connection().asEnv().entrySet()) {
      System.out.println("export " + e.getKey() + "=" + e.getValue());
    }
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
