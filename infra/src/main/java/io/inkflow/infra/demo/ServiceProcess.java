package io.inkflow.infra.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One inkflow service run as a child JVM on this JVM's classpath, its output in a log file. */
public final class ServiceProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ServiceProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** Starts {@code main} with {@code -Xmx<heap>}, the serial collector and {@code env}; output replaces {@code log}. */
  public static ServiceProcess start(String name, Class<?> main, Map<String, String> env, Path log, String heap) throws IOException {
    return start(name, main, env, log, List.of("-Xmx" + heap, "-XX:+UseSerialGC"), false);
  }

  /**
   * Starts {@code main} with the given JVM flags and {@code env}.
   *
   * @param append add to {@code log} rather than replace it (a restarted service keeps one log)
   */
  public static ServiceProcess start(String name, Class<?> main, Map<String, String> env, Path log, List<String> jvmFlags,
      boolean append) throws IOException {
    return start(name, javaCommand(main.getName(), jvmFlags, List.of()), env, log, append);
  }

  /**
   * The command line that runs {@code mainClass} with {@code args} in this JVM's Java on this JVM's
   * classpath.
   */
  public static List<String> javaCommand(String mainClass, List<String> jvmFlags, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmFlags);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Starts {@code command} as it is, e.g. a {@link #javaCommand} behind a launcher that replaces itself
   * with it ({@code ip netns exec}), so that the process id and a SIGKILL reach the JVM.
   *
   * @param append add to {@code log} rather than replace it (a restarted service keeps one log)
   */
  public static ServiceProcess start(String name, List<String> command, Map<String, String> env, Path log, boolean append)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(append ? ProcessBuilder.Redirect.appendTo(log.toFile()) : ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().putAll(env);
    return new ServiceProcess(name, pb.start(), log);
  }

  public boolean alive() {
    return process.isAlive();
  }

  public String name() {
    return name;
  }

  public Path log() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  /** The exit status; the process must have ended. */
  public int exitValue() {
    return process.exitValue();
  }

  /** SIGKILL: no shutdown hook runs. Returns once the process is gone. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") still running 30 s after SIGKILL");
    }
  }

  /** SIGTERM, then up to a minute for the service to drain; SIGKILL after that. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
