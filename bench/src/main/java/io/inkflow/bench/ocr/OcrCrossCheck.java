package io.inkflow.bench.ocr;

import io.inkflow.bench.ocr.OcrFiles.CaseEntry;
import io.inkflow.bench.ocr.OcrFiles.LinesEntry;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Compares what two OCR implementations read from the same images, run by {@code scripts/eval/ocr-crosscheck}:
 * the Java pipeline ({@code OcrAccuracy --java-lines}) against the JavaScript library
 * ({@code scripts/eval/ocr-js/read.mjs}), both as lines files ({@link OcrFiles}). Reports the share of images
 * whose line lists are identical after NFKC (the project's target is at least 95%), the share whose lines agree
 * once joined without whitespace (the JavaScript library joins boxes on one row with a space), each side's exact
 * rate against the truth when {@code cases.jsonl} is given, and lists every image where the lists differ. Without
 * {@code --java} it scores the JavaScript side alone against {@code cases.jsonl}.
 */
@Command(name = "scripts/eval/ocr-crosscheck", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Line lists of two OCR readers over the same images, compared after NFKC.")
public final class OcrCrossCheck implements Callable<Integer> {
  /** The project's target share of images whose line lists are identical. */
  static final double TARGET = 0.95;

  @Option(names = "--java", paramLabel = "FILE",
      description = "lines read by the Java pipeline; without it, the JavaScript side is scored alone (needs --cases)")
  private Path javaFile;

  @Option(names = "--js", paramLabel = "FILE", required = true, description = "lines read by the JavaScript library")
  private Path jsFile;

  @Option(names = "--cases", paramLabel = "FILE", description = "cases.jsonl, for each side's accuracy against the truth")
  private Path casesFile;

  @Spec
  private CommandSpec spec;

  /** How two readers' line lists over the same images compare. */
  record Comparison(int images, int identical, int identicalJoined, int javaExact, int jsExact, List<String> differences) {}

  public static void main(String[] args) {
    System.exit(new CommandLine(new OcrCrossCheck()).execute(args));
  }

  @Override
  public Integer call() {
    Map<String, LinesEntry> js = OcrFiles.readLines(jsFile);
    Map<String, CaseEntry> cases = casesFile == null ? Map.of() : OcrFiles.readCases(casesFile);
    if (javaFile == null) {
      if (cases.isEmpty()) {
        throw new ParameterException(spec.commandLine(), "expected --java, or --cases to score the JavaScript side alone");
      }
      scoreAlone(js, cases);
      return 0;
    }
    Map<String, LinesEntry> java = OcrFiles.readLines(javaFile);
    Comparison c = compare(java, js, cases);
    double[] interval = OcrScore.wilson95(c.identical(), c.images());
    System.out.printf(Locale.ROOT, "ocr cross-check: %d images, Java %s, JavaScript %s%n", c.images(), javaFile, jsFile);
    System.out.printf(Locale.ROOT, "identical line lists after NFKC: %d/%d = %.3f [95%% Wilson %.3f, %.3f]; target >= %.2f:"
        + " %s%n", c.identical(), c.images(), share(c.identical(), c.images()), interval[0], interval[1], TARGET,
        share(c.identical(), c.images()) >= TARGET ? "met" : "not met");
    System.out.printf(Locale.ROOT, "identical once joined without whitespace: %d/%d = %.3f%n", c.identicalJoined(),
        c.images(), share(c.identicalJoined(), c.images()));
    if (!cases.isEmpty()) {
      System.out.printf(Locale.ROOT, "exact against the truth: Java %d/%d = %.3f, JavaScript %d/%d = %.3f%n", c.javaExact(),
          c.images(), share(c.javaExact(), c.images()), c.jsExact(), c.images(), share(c.jsExact(), c.images()));
    }
    System.out.printf("%d difference(s)%s%n", c.differences().size(), c.differences().isEmpty() ? "" : ":");
    c.differences().forEach(System.out::println);
    return 0;
  }

  /** The JavaScript side against the truth alone: its exact rate and every misread line. */
  private void scoreAlone(Map<String, LinesEntry> js, Map<String, CaseEntry> cases) {
    List<String> misreads = new ArrayList<>();
    int exact = 0;
    for (CaseEntry entry : cases.values()) {
      LinesEntry read = js.get(entry.file());
      if (read != null && OcrScore.joined(read.lines()).equals(OcrScore.normalize(entry.truth()))) {
        exact++;
      } else {
        misreads.add(String.format("%s: js %s | truth \"%s\"", entry.file(),
            read == null ? "(missing)" : quoted(nfkc(read.lines())), entry.truth()));
      }
    }
    double[] interval = OcrScore.wilson95(exact, cases.size());
    System.out.printf(Locale.ROOT, "JavaScript library alone, %s against %s: exact %d/%d = %.3f [95%% Wilson %.3f, %.3f]%n",
        jsFile, casesFile, exact, cases.size(), share(exact, cases.size()), interval[0], interval[1]);
    System.out.printf("%d misread(s)%s%n", misreads.size(), misreads.isEmpty() ? "" : ":");
    misreads.forEach(System.out::println);
  }

  /**
   * Compares the line lists of every image either side read (an image only one side has counts as a difference).
   *
   * @param cases the truth by file, or empty
   */
  static Comparison compare(Map<String, LinesEntry> java, Map<String, LinesEntry> js, Map<String, CaseEntry> cases) {
    Set<String> files = new LinkedHashSet<>(java.keySet());
    files.addAll(js.keySet());
    int identical = 0;
    int identicalJoined = 0;
    int javaExact = 0;
    int jsExact = 0;
    List<String> differences = new ArrayList<>();
    for (String file : files) {
      List<String> javaLines = java.containsKey(file) ? nfkc(java.get(file).lines()) : null;
      List<String> jsLines = js.containsKey(file) ? nfkc(js.get(file).lines()) : null;
      CaseEntry truth = cases.get(file);
      if (truth != null) {
        String expected = OcrScore.normalize(truth.truth());
        javaExact += javaLines != null && OcrScore.joined(javaLines).equals(expected) ? 1 : 0;
        jsExact += jsLines != null && OcrScore.joined(jsLines).equals(expected) ? 1 : 0;
      }
      if (javaLines != null && javaLines.equals(jsLines)) {
        identical++;
        identicalJoined++;
        continue;
      }
      boolean joined = javaLines != null && jsLines != null
          && OcrScore.joined(javaLines).equals(OcrScore.joined(jsLines));
      identicalJoined += joined ? 1 : 0;
      differences.add(String.format("%s%s: java %s | js %s%s", file, joined ? " (same joined)" : "",
          javaLines == null ? "(missing)" : quoted(javaLines), jsLines == null ? "(missing)" : quoted(jsLines),
          truth == null ? "" : " | truth \"" + truth.truth() + "\""));
    }
    return new Comparison(files.size(), identical, identicalJoined, javaExact, jsExact, List.copyOf(differences));
  }

  private static List<String> nfkc(List<String> lines) {
    return lines.stream().map(line -> Normalizer.normalize(line, Normalizer.Form.NFKC)).toList();
  }

  private static String quoted(List<String> lines) {
    return lines.stream().map(line -> "\"" + line + "\"").toList().toString();
  }

  private static double share(int part, int whole) {
    return whole == 0 ? 0.0 : (double) part / whole;
  }
}
