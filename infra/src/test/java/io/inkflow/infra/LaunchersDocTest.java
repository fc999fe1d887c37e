package io.inkflow.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every {@code INKFLOW_*} variable a shell script under {@code scripts/} reads is in the README's
 * "Launchers" section, so a setting a launcher honours is never only findable in its source.
 */
class LaunchersDocTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern READ = Pattern.compile("\\$\\{?(INKFLOW_[A-Z0-9_]+)");
  private static final Pattern SHELL = Pattern.compile("^#!.*\\b(ba)?sh\\b.*");
  /** Set by scripts/lib/common.sh to the checkout, never taken from the environment. */
  private static final Set<String> INTERNAL = Set.of("INKFLOW_ROOT", "INKFLOW_OCR_FONT_FILES");

  @Test
  void everyVariableTheScriptsReadIsInTheReadmesLaunchersSection() throws IOException {
    Map<String, Set<String>> readBy = variablesReadByScripts();
    assertThat(readBy).as("variables read by scripts/").containsKeys("INKFLOW_JAVA_OPTS", "INKFLOW_PACK_DIR", "INKFLOW_STATE_DIR");

    String launchers = section(Files.readString(ROOT.resolve("README.md")), "## Launchers");
    Map<String, Set<String>> undocumented = new TreeMap<>();
    readBy.forEach((name, scripts) -> {
      if (!Pattern.compile("\\b" + name + "\\b").matcher(launchers).find()) {
        undocumented.put(name, scripts);
      }
    });
    assertThat(undocumented).as("variables read by these scripts but missing from README.md's Launchers section").isEmpty();
  }

  /** Variable name → the scripts that read it ({@code $NAME}, {@code ${NAME…}} outside comments). */
  private static Map<String, Set<String>> variablesReadByScripts() throws IOException {
    Map<String, Set<String>> readBy = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(ROOT.resolve("scripts"))) {
      // npm packages installed under scripts/ (the OCR cross-check's node_modules) are not the project's scripts.
      files = walk.filter(Files::isRegularFile).filter(f -> !f.toString().contains("node_modules")).sorted().toList();
    }
    for (Path file : files) {
      List<String> lines = Files.readAllLines(file);
      if (!file.toString().endsWith(".sh") && (lines.isEmpty() || !SHELL.matcher(lines.get(0)).matches())) {
        continue;
      }
      for (String line : lines) {
        if (line.strip().startsWith("#")) {
          continue;
        }
        Matcher m = READ.matcher(line);
        while (m.find()) {
          if (!INTERNAL.contains(m.group(1))) {
            readBy.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(ROOT.relativize(file).toString());
          }
        }
      }
    }
    return readBy;
  }

  /** The text from {@code heading} to the next heading of the same level. */
  private static String section(String markdown, String heading) {
    int start = markdown.indexOf("\n" + heading + "\n");
    assertThat(start).as("README.md has a '" + heading + "' section").isNotNegative();
    int end = markdown.indexOf("\n## ", start + heading.length() + 1);
    return markdown.substring(start, end < 0 ? markdown.length() : end);
  }
}
