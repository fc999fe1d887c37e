package io.inkflow.infra.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The module layering the README states, checked on the production sources' imports. */
class LayeringTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** Every "file: import" line of {@code module}'s production sources whose import starts with {@code prefix}. */
  private static List<String> imports(String module, String prefix) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (line.startsWith("import " + prefix) || line.startsWith("import static " + prefix)) {
            found.add(ROOT.relativize(f) + ": " + line);
          }
        }
      }
    }
    return found;
  }

  @Test
  void commonAndTheWorkerImportNothingFromKafkaStreams() throws IOException {
    assertThat(imports("common", "org.apache.kafka.streams")).isEmpty();
    assertThat(imports("workers", "org.apache.kafka.streams")).isEmpty();
  }

  @Test
  void commonDependsOnNoOtherModuleAndInferenceKnowsNoKafkaOrAvro() throws IOException {
    List<String> commonOnOthers = new ArrayList<>(imports("common", "io.inkflow."));
    commonOnOthers.removeIf(line -> line.contains("import io.inkflow.common."));
    assertThat(commonOnOthers).isEmpty();
    assertThat(imports("inference", "org.apache.kafka")).isEmpty();
    assertThat(imports("inference", "org.apache.avro")).isEmpty();
  }

  @Test
  void infraReadsNoEnvironmentThroughTheStreamsModule() throws IOException {
    // The configuration-table generator documents every module's definitions, the streams' included.
    assertThat(imports("infra", "io.inkflow.streams.common")).allMatch(line -> line.startsWith("infra/src/main/java/io/inkflow/infra/docs/"));
  }
}
