package io.inkflow.infra.docs;

import io.inkflow.api.ApiConfig;
import io.inkflow.common.config.ConfigTables;
import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.common.StreamsSettings;
import io.inkflow.streams.export.PreferenceExporter;
import io.inkflow.streams.labels.PairQueue;
import io.inkflow.streams.rewrite.PeLimits;
import io.inkflow.streams.rewrite.PromptRewriteConfig;
import io.inkflow.streams.scoring.ScoringConfig;
import io.inkflow.workers.generate.WorkerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigDef;

/**
 * The README's configuration tables, generated from the services' {@link ConfigDef}s: each table sits
 * between {@code <!-- config:NAME -->} and {@code <!-- /config:NAME -->}. {@code scripts/config-docs}
 * rewrites them; a test fails when the README and the definitions drift apart.
 */
public final class ConfigDocs {
  private static final Pattern BLOCK = Pattern.compile("(<!-- config:([a-z0-9-]+) -->\n)(.*?)(<!-- /config:\\2 -->)", Pattern.DOTALL);

  private ConfigDocs() {}

  /** One table: its variables and the renamed ones still read. */
  record Table(ConfigDef definition, List<EnvConfig.Alias> aliases) {}

  /** Every table, by the name its README markers use. */
  static Map<String, Table> tables() {
    Map<String, Table> t = new LinkedHashMap<>();
    t.put("kafka", new Table(SharedConfig.KAFKA, List.of()));
    t.put("topics", new Table(TopicSettings.DEFINITION, List.of()));
    t.put("http", new Table(SharedConfig.HTTP, List.of()));
    t.put("s3", new Table(S3Settings.DEFINITION, List.of()));
    t.put("streams", new Table(StreamsSettings.DEFINITION, StreamsSettings.ALIASES));
    t.put("pe", new Table(SharedConfig.merge(PromptRewriteConfig.DEFINITION, PeLimits.DEFINITION), List.of()));
    t.put("worker", new Table(SharedConfig.merge(SharedConfig.DEVICE_DEF, WorkerConfig.DEFINITION), WorkerConfig.ALIASES));
    t.put("scoring", new Table(ScoringConfig.DEFINITION, ScoringConfig.ALIASES.subList(1, ScoringConfig.ALIASES.size())));
    t.put("export", new Table(PreferenceExporter.DEFINITION, List.of()));
    t.put("labels", new Table(PairQueue.DEFINITION, List.of()));
    t.put("api", new Table(ApiConfig.DEFINITION, List.of()));
    t.put("local-stack", new Table(LocalStackConfig.DEFINITION, LocalStackConfig.ALIASES));
    return t;
  }

  /** {@code readme} with every marked table regenerated. */
  static String regenerate(String readme) {
    Map<String, Table> tables = tables();
    Matcher m = BLOCK.matcher(readme);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      Table table = tables.get(m.group(2));
      if (table == null) {
        throw new IllegalArgumentException("README marks a table '" + m.group(2) + "'; expected one of " + tables.keySet());
      }
      m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + ConfigTables.markdown(table.definition(), table.aliases())
          + m.group(4)));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** The table names the README marks. */
  static List<String> marked(String readme) {
    return BLOCK.matcher(readme).results().map(r -> r.group(2)).toList();
  }

  /** Rewrites the README given as the first argument (default {@code README.md}) in place. */
  public static void main(String[] args) throws IOException {
    Path readme = Path.of(args.length > 0 ? args[0] : "README.md");
    String before = Files.readString(readme, StandardCharsets.UTF_8);
    String after = regenerate(before);
    Files.writeString(readme, after, StandardCharsets.UTF_8);
    System.out.println(before.equals(after) ? "configuration tables already current" : "configuration tables rewritten in " + readme);
  }
}
