package io.inkflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed KEDA objects validated by {@code deploy/validate/keda.mjs} against the schemas of
 * {@code @kubernetes-models/keda} (pinned by {@code deploy/validate/package-lock.json}; {@code scripts/test}
 * runs {@code npm ci} there). Skipped, saying so, only where Node.js or those packages are missing.
 */
class KedaSchemaTest {
  private static final Path SCRIPT = Path.of("validate", "keda.mjs");
  private static final Path MODULES = Path.of("validate", "node_modules", "@kubernetes-models", "keda");

  @BeforeAll
  static void nodeAndModels() {
    assumeTrue(onPath("node"), "node is not on PATH: the KEDA schema check needs Node.js 20 (scripts/test installs it)");
    assumeTrue(Files.isDirectory(MODULES), "deploy/validate/node_modules is missing: run `npm ci` in deploy/validate (scripts/test does)");
  }

  @Test
  void everyKedaObjectOfTheManifestsIsValid() throws Exception {
    List<Path> files;
    try (Stream<Path> all = Files.list(TypedManifests.DIR)) {
      files = all.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    long keda = TypedManifests.readAll().stream().filter(d -> d.typed() == null).count();
    assertThat(keda).isPositive();
    Result r = run(files);
    assertThat(r.exit).as(r.output).isZero();
    assertThat(r.output).contains(keda + " KEDA objects valid, 0 invalid");
  }

  @Test
  void aWrongTypeOrAnUnknownFieldIsRefused(@TempDir Path dir) throws Exception {
    String good = Files.readString(TypedManifests.DIR.resolve("51-worker-autoscaling.yaml"));
    assertThat(good).contains("  maxReplicaCount: ", "  pollingInterval: ");
    Path wrongType = dir.resolve("wrong-type.yaml");
    Files.writeString(wrongType, good.replaceFirst("  maxReplicaCount: \\d+", "  maxReplicaCount: \"many\""));
    Path unknown = dir.resolve("unknown.yaml");
    Files.writeString(unknown, good.replace("  pollingInterval: ", "  pollingIntervall: "));
    Result r = run(List.of(wrongType, unknown));
    assertThat(r.exit).as(r.output).isEqualTo(1);
    assertThat(r.output).contains("/spec/maxReplicaCount must be integer", "/spec/pollingIntervall is not a field of ScaledObject",
        "0 KEDA objects valid, 2 invalid");
  }

  private record Result(int exit, String output) {}

  private static Result run(List<Path> files) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("node", SCRIPT.toString()));
    files.forEach(f -> cmd.add(f.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("node finished").isTrue();
      return new Result(p.exitValue(), out);
    } finally {
      p.destroyForcibly();
    }
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, command)));
  }
}
