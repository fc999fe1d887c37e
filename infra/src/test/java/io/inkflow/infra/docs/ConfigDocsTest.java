package io.inkflow.infra.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration tables are the definitions' own: {@code scripts/config-docs} rewrites them. */
class ConfigDocsTest {
  private static final Path README = Path.of("..", "README.md");

  @Test
  void theReadmeShowsEveryTableAsTheDefinitionsGenerateIt() throws Exception {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    assertThat(ConfigDocs.marked(readme)).as("tables marked in README.md").containsExactlyInAnyOrderElementsOf(ConfigDocs.tables().keySet());
    assertThat(readme).as("README.md's configuration tables drifted from the code: run scripts/config-docs")
        .isEqualTo(ConfigDocs.regenerate(readme));
  }
}
