package io.inkflow.bench.ocr;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Exact-line accuracy and mean R_a of a set of scored cases: overall, by size band, by face and by script mix,
 * each exact rate with its 95% Wilson interval.
 *
 * @param results every case, in index order
 * @param overall all cases
 * @param bySize one group per size band that has cases
 * @param byFont one group per face that has cases
 * @param byMix one group per script mix that has cases
 * @param outsideDictionary the cases whose truth holds a character the recogniser's dictionary lacks (such a case
 *     can never be exact); {@code null} when no dictionary was given
 */
public record AccuracyReport(List<CaseResult> results, Group overall, List<Group> bySize, List<Group> byFont,
    List<Group> byMix, Group outsideDictionary) {

  /**
   * Exact lines and mean R_a of some cases.
   *
   * @param name what the cases have in common
   * @param cases how many
   * @param exact how many were read exactly
   * @param meanAccuracyRate mean R_a (0 when there are no cases)
   */
  public record Group(String name, int cases, int exact, double meanAccuracyRate) {

    /** The share of exact lines (0 when there are no cases). */
    public double exactRate() {
      return cases == 0 ? 0.0 : (double) exact / cases;
    }

    /** The 95% Wilson interval of the exact rate. */
    public double[] exactInterval() {
      return OcrScore.wilson95(exact, cases);
    }

    static Group of(String name, List<CaseResult> results) {
      int exact = (int) results.stream().filter(CaseResult::exact).count();
      double mean = results.stream().mapToDouble(CaseResult::accuracyRate).average().orElse(0.0);
      return new Group(name, results.size(), exact, mean);
    }
  }

  public AccuracyReport {
    results = List.copyOf(results);
    bySize = List.copyOf(bySize);
    byFont = List.copyOf(byFont);
    byMix = List.copyOf(byMix);
  }

  /**
   * Summarises scored cases.
   *
   * @param dictionary the recogniser's characters (code points), or {@code null} to leave out the count of
   *     truths it cannot spell
   */
  public static AccuracyReport of(List<CaseResult> results, Set<Integer> dictionary) {
    Group outside = null;
    if (dictionary != null) {
      outside = Group.of("truth outside the dictionary", results.stream()
          .filter(r -> r.truth().codePoints().anyMatch(c -> !dictionary.contains(c))).toList());
    }
    return new AccuracyReport(results, Group.of("all", results),
        groups(results, r -> r.spec().band().label(), List.of(SizeBand.values()), SizeBand::label),
        groups(results, r -> r.spec().font().label(), List.of(TextFont.values()), TextFont::label),
        groups(results, r -> r.spec().mix().label(), List.of(ScriptMix.values()), ScriptMix::label), outside);
  }

  private static <T> List<Group> groups(List<CaseResult> results, Function<CaseResult, String> key, List<T> order,
      Function<T, String> label) {
    Map<String, List<CaseResult>> byKey = new LinkedHashMap<>();
    order.forEach(value -> byKey.put(label.apply(value), new ArrayList<>()));
    results.forEach(r -> byKey.get(key.apply(r)).add(r));
    return byKey.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(e -> Group.of(e.getKey(), e.getValue()))
        .toList();
  }

  /** The report as JSON: the settings given, then the groups. */
  public ObjectNode toJson(Map<String, Object> settings) {
    ObjectNode root = OcrFiles.JSON.createObjectNode();
    ObjectNode settingsNode = root.putObject("settings");
    settings.forEach((name, value) -> settingsNode.putPOJO(name, value));
    root.set("overall", json(overall));
    ArrayNode size = root.putArray("bySize");
    bySize.forEach(g -> size.add(json(g)));
    ArrayNode font = root.putArray("byFont");
    byFont.forEach(g -> font.add(json(g)));
    ArrayNode mix = root.putArray("byMix");
    byMix.forEach(g -> mix.add(json(g)));
    if (outsideDictionary != null) {
      root.set("truthOutsideDictionary", json(outsideDictionary));
    }
    ObjectNode time = root.putObject("meanMillisPerImage");
    time.put("detect", meanMillis(CaseResult::detectNanos));
    time.put("postprocess", meanMillis(CaseResult::postprocessNanos));
    time.put("recognize", meanMillis(CaseResult::recognizeNanos));
    return root;
  }

  /** Writes every case: what was drawn, what was read, whether it was exact and its R_a. */
  public void writeCsv(Path file) {
    try (BufferedWriter writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
         CSVPrinter csv = new CSVPrinter(writer, CSVFormat.DEFAULT.builder().setHeader("id", "mix", "font", "size_px",
             "size_band", "angle_deg", "foreground", "background", "width", "height", "truth", "read", "lines", "exact",
             "r_a").get())) {
      for (CaseResult r : results) {
        TextSpec spec = r.spec();
        csv.printRecord(spec.id(), spec.mix().label(), spec.font().label(), spec.sizePx(), spec.band().label(),
            spec.angleDegrees(), OcrFiles.hex(spec.foreground()), OcrFiles.hex(spec.background()), r.width(),
            r.height(), spec.truth(), r.read(), String.join(" | ", r.lines()), r.exact(),
            String.format(Locale.ROOT, "%.4f", r.accuracyRate()));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** The groups as a plain-text table. */
  public String table() {
    StringBuilder out = new StringBuilder();
    out.append(String.format(Locale.ROOT, "%-30s %6s %6s %8s  %-17s %8s%n", "group", "cases", "exact", "rate",
        "95% Wilson", "mean R_a"));
    List<Group> rows = new ArrayList<>();
    rows.add(overall);
    rows.addAll(bySize);
    rows.addAll(byFont);
    rows.addAll(byMix);
    if (outsideDictionary != null) {
      rows.add(outsideDictionary);
    }
    for (Group g : rows) {
      double[] interval = g.exactInterval();
      out.append(String.format(Locale.ROOT, "%-30s %6d %6d %8.3f  [%.3f, %.3f]   %8.4f%n", g.name(), g.cases(),
          g.exact(), g.exactRate(), interval[0], interval[1], g.meanAccuracyRate()));
    }
    return out.toString();
  }

  private static ObjectNode json(Group g) {
    ObjectNode node = OcrFiles.JSON.createObjectNode();
    double[] interval = g.exactInterval();
    node.put("name", g.name());
    node.put("cases", g.cases());
    node.put("exact", g.exact());
    node.put("exactRate", g.exactRate());
    node.put("exactRateLow95", interval[0]);
    node.put("exactRateHigh95", interval[1]);
    node.put("meanAccuracyRate", g.meanAccuracyRate());
    return node;
  }

  private double meanMillis(ToLongFunction<CaseResult> nanos) {
    return results.stream().mapToLong(nanos).average().orElse(0.0) / 1e6;
  }
}
