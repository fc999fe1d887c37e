package io.inkflow.infra.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalStackMainTest {
  private final ConnectionSettings connection = new ConnectionSettings("127.0.0.1:9092", "http://127.0.0.1:8081",
      URI.create("http://127.0.0.1:9000"), "inkflow-images", "inkflow-local", "inkflow-local-secret");

  @Test
  void theExportsCarryTheDataDirectoryAndAbsolutePackPathsBeforeTheConnectionSettings() {
    Map<String, String> exports = LocalStackMain.exports(connection, Path.of("/tmp/inkflow-local-1"),
        Map.of("INKFLOW_PACK_DIR", "infra/models/mini-mmdit-flow", "INKFLOW_REWARD_PACK_DIR", "/packs/reward/../mini-reward"));

    assertThat(exports).containsEntry("INKFLOW_LOCAL_DATA_DIR", "/tmp/inkflow-local-1")
        .containsEntry("INKFLOW_PACK_DIR", Path.of("infra/models/mini-mmdit-flow").toAbsolutePath().toString())
        .containsEntry("INKFLOW_REWARD_PACK_DIR", "/packs/mini-reward")
        .containsAllEntriesOf(connection.asEnv());
    // Scripts wait for the AWS_SECRET_ACCESS_KEY line as the sign that every setting is out.
    assertThat(List.copyOf(exports.keySet())).startsWith("INKFLOW_LOCAL_DATA_DIR").endsWith("AWS_SECRET_ACCESS_KEY");
  }

  @Test
  void packsThatWereNotGivenAreNotPrinted() {
    assertThat(LocalStackMain.exports(connection, Path.of("/tmp/d"), Map.of())).doesNotContainKeys("INKFLOW_PACK_DIR", "INKFLOW_REWARD_PACK_DIR");
  }

  @Test
  void valuesAreQuotedOnlyWhenTheShellNeedsIt() {
    assertThat(LocalStackMain.shellQuoted("http://127.0.0.1:8081")).isEqualTo("http://127.0.0.1:8081");
    assertThat(LocalStackMain.shellQuoted("/home/me/my packs/mini")).isEqualTo("'/home/me/my packs/mini'");
    assertThat(LocalStackMain.shellQuoted("/it's")).isEqualTo("'/it'\\''s'");
  }
}
