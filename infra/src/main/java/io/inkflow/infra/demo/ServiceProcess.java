package io.inkflow.infra.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One inkflow service run as a child JVM on this JVM's classpath, its output in a log file. */
final class ServiceProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ServiceProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  static ServiceProcess start(String name, Class<?> main, Map<String, String> env, Path log, String heap) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx" + heap, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), main.getName()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return new ServiceProcess(name, pb.start(), log);
  }

  boolean alive() {
    return process.isAlive();
  }

  String name() {
    return name;
  }

  Path log() {
    return log;
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
