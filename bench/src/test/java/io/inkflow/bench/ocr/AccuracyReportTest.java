package io.inkflow.bench.ocr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.ocr.OcrLine;
import io.inkflow.inference.ocr.OcrResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccuracyReportTest {
  private static final List<Double> BOX = List.of(0.0, 0.0, 10.0, 0.0, 10.0, 10.0, 0.0, 10.0);

  @Test
  void groupsCountExactLinesBySizeFontAndMix() {
    List<CaseResult> results = new ArrayList<>();
    // the Chinese cases read right in two lines, the Latin ones with one character lost, the mixed ones not at all
    results.add(read(spec(0, "你好世界", ScriptMix.CHINESE, TextFont.NOTO_SANS_CJK_SC, 20), "你好", " 世界"));
    results.add(read(spec(1, "open door", ScriptMix.LATIN, TextFont.DEJAVU_SANS, 30), "opn door"));
    results.add(read(spec(2, "你好 42", ScriptMix.MIXED, TextFont.WQY_ZEN_HEI, 50)));
    results.add(read(spec(3, "天地人和", ScriptMix.CHINESE, TextFont.WQY_ZEN_HEI, 60), "天地人和"));
    AccuracyReport report = AccuracyReport.of(results, codePoints("你好世界天地人opendr 42"));

    assertThat(report.overall()).isEqualTo(new AccuracyReport.Group("all", 4, 2, (1 + 1 - 1.0 / 8 + 0 + 1) / 4));
    assertThat(report.bySize()).extracting(AccuracyReport.Group::name, AccuracyReport.Group::cases,
        AccuracyReport.Group::exact).containsExactly(tuple("16-23px", 1, 1), tuple("24-31px", 1, 0),
        tuple("48-64px", 2, 1));
    assertThat(report.byFont()).extracting(AccuracyReport.Group::name, AccuracyReport.Group::exact)
        .containsExactly(tuple("noto-sans-cjk-sc", 1), tuple("wqy-zen-hei", 1), tuple("dejavu-sans", 0));
    assertThat(report.byMix()).extracting(AccuracyReport.Group::name, AccuracyReport.Group::exactRate)
        .containsExactly(tuple("chinese", 1.0), tuple("latin", 0.0), tuple("mixed", 0.0));
    // 和 is not in the dictionary given
    assertThat(report.outsideDictionary().cases()).isEqualTo(1);
    assertThat(report.table()).contains("all", "16-23px", "dejavu-sans", "mixed", "truth outside the dictionary");
  }

  @Test
  void writesJsonAndOneCsvRowPerCase(@TempDir Path dir) throws IOException {
    AccuracyReport report = AccuracyReport.of(List.of(
        read(spec(0, "你好, \"世界\"", ScriptMix.CHINESE, TextFont.NOTO_SANS_CJK_SC, 20), "你好,\"世界\"")), null);
    String json = report.toJson(Map.of("seed", 7)).toString();
    assertThat(json).contains("\"settings\":{\"seed\":7}", "\"exactRate\":1.0", "\"meanMillisPerImage\"")
        .doesNotContain("truthOutsideDictionary");
    Path csv = dir.resolve("cases.csv");
    report.writeCsv(csv);
    List<String> rows = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0)).startsWith("id,mix,font,size_px");
    assertThat(rows.get(1)).startsWith("case-0000,chinese,noto-sans-cjk-sc,20,16-23px").contains("\"你好, \"\"世界\"\"\"")
        .endsWith(",true,1.0000");
  }

  static TextSpec spec(int index, String truth, ScriptMix mix, TextFont font, int sizePx) {
    return new TextSpec(index, truth, mix, font, sizePx, 0x000000, 0xFFFFFF, 0.0, sizePx / 2);
  }

  private static CaseResult read(TextSpec spec, String... lines) {
    List<OcrLine> read = new ArrayList<>();
    for (String line : lines) {
      read.add(new OcrLine(line, 0.9, BOX));
    }
    return CaseResult.score(new TextCase(spec, new RgbImage(1, 1, new byte[3])), new OcrResult(read, 1, 2, 3));
  }

  private static Set<Integer> codePoints(String text) {
    return text.codePoints().boxed().collect(Collectors.toSet());
  }
}
