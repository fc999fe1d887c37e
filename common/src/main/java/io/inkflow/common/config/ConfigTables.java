package io.inkflow.common.config;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;

/**
 * A service's configuration as a Markdown table, generated from its {@link ConfigDef} so that the
 * README cannot drift from the code: one row per variable (name, meaning, default, accepted values),
 * in declaration order, then the deprecated names still read.
 */
public final class ConfigTables {
  private ConfigTables() {}

  public static String markdown(ConfigDef def, List<EnvConfig.Alias> aliases) {
    StringBuilder out = new StringBuilder("| env | meaning | default | accepted |\n|---|---|---|---|\n");
    for (ConfigDef.ConfigKey key : def.configKeys().values()) {
      out.append("| `").append(key.name).append("` | ").append(cell(key.documentation)).append(" | ")
          .append(defaultOf(key)).append(" | ").append(accepted(key)).append(" |\n");
    }
    if (!aliases.isEmpty()) {
      List<String> old = new ArrayList<>();
      for (EnvConfig.Alias a : aliases) {
        old.add("`" + a.old() + "` → `" + a.replacement() + "`");
      }
      out.append("\nStill read for one release, with a warning: ").append(String.join(", ", old)).append(".\n");
    }
    return out.toString();
  }

  private static String defaultOf(ConfigDef.ConfigKey key) {
    if (!key.hasDefault()) {
      return "required";
    }
    Object d = key.defaultValue;
    if (d == null) {
      return "none";
    }
    if (d instanceof Password) {
      return "****";
    }
    if (d instanceof List<?> list) {
      return list.isEmpty() ? "none" : "`" + String.join(",", list.stream().map(Object::toString).toList()) + "`";
    }
    String s = d.toString();
    return s.isEmpty() ? "\"\"" : "`" + s + "`";
  }

  private static String accepted(ConfigDef.ConfigKey key) {
    if (key.validator != null) {
      return cell(key.validator.toString());
    }
    return switch (key.type) {
      case INT, LONG, SHORT -> "an integer";
      case DOUBLE -> "a number";
      case BOOLEAN -> "true, false";
      case LIST -> "comma-separated";
      case PASSWORD -> "a secret, never logged";
      default -> "";
    };
  }

  private static String cell(String text) {
    return text == null ? "" : text.replace("|", "\\|").replace("\n", " ");
  }
}
