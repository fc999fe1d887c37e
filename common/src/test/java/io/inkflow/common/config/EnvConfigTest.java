package io.inkflow.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class EnvConfigTest {
  static final ConfigDef DEF = new ConfigDef()
      .define("X_COUNT", Type.INT, 4, ConfigDef.Range.between(1, 8), Importance.HIGH, "how many")
      .define("X_WAIT", Type.STRING, "PT0.2S", EnvConfig.DURATION, Importance.MEDIUM, "how long | at most")
      .define("X_DIR", Type.STRING, null, Importance.LOW, "where")
      .define("X_TOKEN", Type.PASSWORD, null, Importance.LOW, "a secret")
      .define("X_NEEDED", Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "required");
  static final List<EnvConfig.Alias> ALIASES = List.of(EnvConfig.Alias.millis("X_WAIT_MS", "X_WAIT"), EnvConfig.Alias.renamed("X_N", "X_COUNT"));

  @Test
  void readsDeclaredVariablesWithDefaultsAndTreatsBlanksAsUnset() {
    EnvConfig c = new EnvConfig(DEF, Map.of("X_NEEDED", "yes", "X_DIR", "  ", "X_COUNT", " 6 ", "UNRELATED", "x"), ALIASES);
    assertThat(c.getInt("X_COUNT")).isEqualTo(6);
    assertThat(c.getDuration("X_WAIT")).isEqualTo(Duration.ofMillis(200));
    assertThat(c.getPath("X_DIR")).isNull();
    assertThat(c.getPassword("X_TOKEN")).isNull();
  }

  @Test
  void badValuesNameTheVariableTheValueAndWhatWasExpected() {
    assertThatThrownBy(() -> new EnvConfig(DEF, Map.of("X_NEEDED", "y", "X_COUNT", "9")))
        .isInstanceOf(ConfigException.class).hasMessage("Invalid value 9 for configuration X_COUNT: Value must be no more than 8");
    assertThatThrownBy(() -> new EnvConfig(DEF, Map.of("X_NEEDED", "y", "X_WAIT", "200ms")))
        .hasMessageContaining("X_WAIT").hasMessageContaining("ISO-8601");
    assertThatThrownBy(() -> new EnvConfig(DEF, Map.of())).hasMessageContaining("X_NEEDED");
    assertThatThrownBy(() -> new EnvConfig(DEF, Map.of("X_NEEDED", "y", "X_WAIT_MS", "soon"), ALIASES))
        .hasMessageContaining("X_WAIT_MS").hasMessageContaining("milliseconds");
  }

  @Test
  void aliasesAreReadConvertedAndLoseToTheirReplacement() {
    EnvConfig old = new EnvConfig(DEF, Map.of("X_NEEDED", "y", "X_WAIT_MS", "1500", "X_N", "2"), ALIASES);
    assertThat(old.getDuration("X_WAIT")).isEqualTo(Duration.ofMillis(1500));
    assertThat(old.getInt("X_COUNT")).isEqualTo(2);
    EnvConfig both = new EnvConfig(DEF, Map.of("X_NEEDED", "y", "X_WAIT_MS", "1500", "X_WAIT", "PT3S"), ALIASES);
    assertThat(both.getDuration("X_WAIT")).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void describeAndPrefixedPropertiesMaskSecretsByOneRule() {
    Map<String, String> env = Map.of("X_NEEDED", "y", "X_TOKEN", "hunter2", "P_SASL_JAAS_CONFIG", "jaas-secret",
        "P_BASIC_AUTH_USER_INFO", "u:p", "P_SECURITY_PROTOCOL", "SASL_SSL");
    EnvConfig c = new EnvConfig(DEF, env);
    assertThat(c.describe()).contains("X_COUNT=4").doesNotContain("hunter2");
    assertThat(c.prefixed("P_")).containsEntry("sasl.jaas.config", "jaas-secret").containsEntry("security.protocol", "SASL_SSL");
    assertThat(EnvConfig.masked(c.prefixed("P_"))).containsEntry("sasl.jaas.config", "****").containsEntry("basic.auth.user.info", "****")
        .containsEntry("security.protocol", "SASL_SSL");
    for (String secret : List.of("ssl.keystore.password", "x.secret", "oauth.token", "s3.access.key", "a.credentials")) {
      assertThat(EnvConfig.isSecret(secret)).as(secret).isTrue();
    }
  }

  @Test
  void tablesListEveryVariableWithItsDefaultAndTheRenamedOnes() {
    String table = ConfigTables.markdown(DEF, ALIASES);
    assertThat(table.lines()).contains(
        "| `X_COUNT` | how many | `4` | [1,...,8] |",
        "| `X_WAIT` | how long \\| at most | `PT0.2S` | ISO-8601 duration >= PT0S |",
        "| `X_DIR` | where | none |  |",
        "| `X_TOKEN` | a secret | none | a secret, never logged |",
        "| `X_NEEDED` | required | required |  |");
    assertThat(table).contains("`X_WAIT_MS` → `X_WAIT`", "`X_N` → `X_COUNT`");
  }
}
