package io.inkflow.infra.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.schemas.TopicSettings;
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
  void theExportsCarryTheTopicSettingsTheStackCreatedItsTopicsWith() {
    Map<String, String> env = Map.of("INKFLOW_TOPIC_PARTITIONS", "12", "INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS", "48");
    LocalStackConfig config = LocalStackConfig.fromEnv(env);
    Map<String, String> exports = LocalStackMain.exports(connection, Path.of("/tmp/d"), config.topics(), Map.of());
    assertThat(exports).containsEntry("INKFLOW_TOPIC_PARTITIONS", "12").containsEntry("INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS", "48")
        .containsEntry("INKFLOW_TOPIC_REPLICATION_FACTOR", "1").containsEntry("INKFLOW_TOPIC_MIN_ISR", "1");
    assertThat(List.copyOf(exports.keySet())).endsWith("AWS_SECRET_ACCESS_KEY");
    assertThat(TopicSettings.fromEnv(exports)).as("a service started with the exports agrees").isEqualTo(config.topics());
  }

  @Test
  void theOldPartitionsVariableIsStillRead() {
    assertThat(LocalStackConfig.fromEnv(Map.of("INKFLOW_PARTITIONS", "3")).topics().partitions()).isEqualTo(3);
    assertThat(LocalStackConfig.fromEnv(Map.of()).topics()).isEqualTo(TopicSettings.defaults());
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
