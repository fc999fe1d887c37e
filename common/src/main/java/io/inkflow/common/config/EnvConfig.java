package io.inkflow.common.config;

import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's configuration: declared once on Kafka's {@link ConfigDef} (types, ranges, defaults,
 * documentation, {@link Password} for secrets), keyed by the environment variables themselves
 * ({@code INKFLOW_WORKER_BATCH_SIZE}), and read from the environment by one loader with one rule for
 * blanks, durations and secrets. The README's configuration tables are generated from the same
 * definitions ({@link ConfigTables}).
 *
 * <p>A variable set to the empty string counts as unset. Durations are ISO-8601 ({@code PT0.2S},
 * {@code P7D}) everywhere. A renamed variable stays readable through an {@link Alias}, with a WARN
 * naming its replacement.
 */
public final class EnvConfig extends AbstractConfig {
  private static final Logger LOG = LoggerFactory.getLogger(EnvConfig.class);

  private final Map<String, String> env;

  /** A renamed variable: read when its replacement is unset, its value converted, with a WARN. */
  public record Alias(String old, String replacement, UnaryOperator<String> convert) {
    /** The same value under a new name. */
    public static Alias renamed(String old, String replacement) {
      return new Alias(old, replacement, UnaryOperator.identity());
    }

    /** A whole number of milliseconds that became an ISO-8601 duration ({@code 200} → {@code PT0.2S}). */
    public static Alias millis(String old, String replacement) {
      return new Alias(old, replacement, v -> {
        try {
          return Duration.ofMillis(Long.parseLong(v.trim())).toString();
        } catch (NumberFormatException e) {
          throw new ConfigException(old, v, "expected a whole number of milliseconds");
        }
      });
    }
  }

  /**
   * Reads the variables {@code def} declares from {@code env}.
   *
   * @throws ConfigException naming the variable, the value found and what was expected
   */
  public EnvConfig(ConfigDef def, Map<String, String> env, List<Alias> aliases) {
    super(def, values(def, env, aliases), false);
    this.env = Map.copyOf(env);
  }

  public EnvConfig(ConfigDef def, Map<String, String> env) {
    this(def, env, List.of());
  }

  private static Map<String, String> values(ConfigDef def, Map<String, String> env, List<Alias> aliases) {
    Map<String, String> out = new HashMap<>();
    for (String name : def.names()) {
      String v = env.get(name);
      if (v != null && !v.isBlank()) {
        out.put(name, v.trim());
      }
    }
    for (Alias a : aliases) {
      String v = env.get(a.old());
      if (v == null || v.isBlank()) {
        continue;
      }
      if (out.containsKey(a.replacement())) {
        LOG.warn("{} is deprecated and ignored because {} is set; remove it", a.old(), a.replacement());
      } else {
        LOG.warn("{} is deprecated; use {} (read as {}={})", a.old(), a.replacement(), a.replacement(),
            isSecret(a.replacement()) ? "****" : a.convert().apply(v.trim()));
        out.put(a.replacement(), a.convert().apply(v.trim()));
      }
    }
    return out;
  }

  /** An ISO-8601 duration variable (declared with {@link #DURATION}). */
  public Duration getDuration(String name) {
    String v = getString(name);
    return v == null ? null : Duration.parse(v);
  }

  /** A path variable, or null when unset. */
  public Path getPath(String name) {
    String v = getString(name);
    return v == null || v.isBlank() ? null : Path.of(v);
  }

  /** Validates ISO-8601 durations, optionally at least {@code min}. */
  public static ConfigDef.Validator duration(Duration min) {
    return new ConfigDef.Validator() {
      @Override
      public void ensureValid(String name, Object value) {
        if (value == null) {
          return;
        }
        Duration d;
        try {
          d = Duration.parse(value.toString());
        } catch (DateTimeParseException e) {
          throw new ConfigException(name, value, "expected an ISO-8601 duration such as PT0.2S, PT10M or P7D");
        }
        if (d.compareTo(min) < 0) {
          throw new ConfigException(name, value, "expected at least " + min);
        }
      }

      @Override
      public String toString() {
        return "ISO-8601 duration >= " + min;
      }
    };
  }

  /** {@code validator} for a variable that may be unset (null passes). */
  public static ConfigDef.Validator optional(ConfigDef.Validator validator) {
    return new ConfigDef.Validator() {
      @Override
      public void ensureValid(String name, Object value) {
        if (value != null) {
          validator.ensureValid(name, value);
        }
      }

      @Override
      public String toString() {
        return validator.toString() + ", or unset";
      }
    };
  }

  /** Any non-negative ISO-8601 duration. */
  public static final ConfigDef.Validator DURATION = duration(Duration.ZERO);

  /**
   * Every {@code PREFIX_A_B=v} of the environment as {@code a.b=v}: how Kafka client and registry
   * client properties pass through ({@code INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL=SASL_SSL}).
   */
  public Map<String, String> prefixed(String prefix) {
    return prefixed(env, prefix);
  }

  /** {@link #prefixed(String)} of any environment. */
  public static Map<String, String> prefixed(Map<String, String> env, String prefix) {
    Map<String, String> out = new TreeMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith(prefix) && k.length() > prefix.length()) {
        out.put(k.substring(prefix.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
      }
    });
    return out;
  }

  /**
   * The values as a log line would show them: declared secrets ({@link ConfigDef.Type#PASSWORD}) and
   * anything whose name looks secret ({@link #isSecret}) masked.
   */
  public String describe() {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, ?> e : new TreeMap<>(values()).entrySet()) {
      Object v = e.getValue();
      parts.add(e.getKey() + "=" + (v instanceof Password || isSecret(e.getKey()) ? "****" : v));
    }
    return String.join(", ", parts);
  }

  /** The one masking rule for properties not declared as passwords: names that look like credentials. */
  public static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT).replace('_', '.');
    return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("user.info")
        || k.contains("credential") || k.contains("token") || k.endsWith(".key");
  }

  /** {@code props} with the values of secret-looking keys replaced by ****. */
  public static Map<String, String> masked(Map<String, String> props) {
    Map<String, String> out = new TreeMap<>();
    props.forEach((k, v) -> out.put(k, isSecret(k) ? "****" : v));
    return out;
  }
}
