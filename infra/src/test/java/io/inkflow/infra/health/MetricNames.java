package io.inkflow.infra.health;

import java.util.Set;
import java.util.TreeSet;

/** The metric names in a Prometheus text-format scrape. */
public final class MetricNames {
  private MetricNames() {}

  public static Set<String> of(String scrape) {
    Set<String> names = new TreeSet<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_' || line.charAt(end) == ':')) {
        end++;
      }
      names.add(line.substring(0, end));
    }
    return names;
  }
}
