package io.inkflow.bench.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.bench.ocr.OcrFiles.CaseEntry;
import io.inkflow.bench.ocr.OcrFiles.LinesEntry;
import io.inkflow.inference.image.RgbImage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OcrCrossCheckTest {

  @Test
  void comparesLineListsAfterNfkcAndListsEveryDifference() {
    Map<String, LinesEntry> java = lines(
        "a.png", List.of("你好", "world"),
        "b.png", List.of("ＡＢ１"),
        "c.png", List.of("天地"),
        "d.png", List.of("x"));
    Map<String, LinesEntry> js = lines(
        "a.png", List.of("你好 world"),
        "b.png", List.of("AB1"),
        "c.png", List.of("天他"),
        "e.png", List.of("y"));
    Map<String, CaseEntry> cases = Map.of("a.png", new CaseEntry("a.png", "你好 world"),
        "b.png", new CaseEntry("b.png", "AB1"), "c.png", new CaseEntry("c.png", "天地"));

    OcrCrossCheck.Comparison c = OcrCrossCheck.compare(java, js, cases);

    assertThat(c.images()).isEqualTo(5);
    assertThat(c.identical()).isEqualTo(1);  // b, after NFKC
    assertThat(c.identicalJoined()).isEqualTo(2);  // and a
    assertThat(c.javaExact()).isEqualTo(3);
    assertThat(c.jsExact()).isEqualTo(2);
    assertThat(c.differences()).hasSize(4);
    assertThat(c.differences().get(0)).startsWith("a.png (same joined): java [\"你好\", \"world\"] | js [\"你好 world\"]");
    assertThat(c.differences().get(1)).contains("c.png: java [\"天地\"] | js [\"天他\"] | truth \"天地\"");
    assertThat(c.differences().get(2)).isEqualTo("d.png: java [\"x\"] | js (missing)");
    assertThat(c.differences().get(3)).isEqualTo("e.png: java (missing) | js [\"y\"]");
  }

  @Test
  void filesRoundTrip(@TempDir Path dir) throws IOException {
    TextCase textCase = new TextCase(AccuracyReportTest.spec(3, "你好 \"q\"", ScriptMix.MIXED, TextFont.WQY_ZEN_HEI, 30),
        new RgbImage(2, 1, new byte[6]));
    Path casesFile = dir.resolve(OcrFiles.CASES);
    Path linesFile = dir.resolve("lines.jsonl");
    try (BufferedWriter cases = OcrFiles.newJsonlWriter(casesFile);
         BufferedWriter lines = OcrFiles.newJsonlWriter(linesFile)) {
      cases.write(OcrFiles.writeImage(dir, textCase, 42));
      cases.newLine();
      lines.write(OcrFiles.linesLine("case-0003.png", List.of("你好", "\"q\"")));
      lines.newLine();
    }
    assertThat(dir.resolve("case-0003.png")).isRegularFile();
    assertThat(Files.readString(casesFile)).contains("\"sizeBand\":\"24-31px\"", "\"foreground\":\"#000000\"",
        "\"seed\":42", "\"width\":2");
    assertThat(OcrFiles.readCases(casesFile)).containsExactly(
        Map.entry("case-0003.png", new CaseEntry("case-0003.png", "你好 \"q\"")));
    assertThat(OcrFiles.readLines(linesFile)).containsExactly(
        Map.entry("case-0003.png", new LinesEntry("case-0003.png", List.of("你好", "\"q\""))));
  }

  private static Map<String, LinesEntry> lines(Object... fileThenLines) {
    Map<String, LinesEntry> out = new LinkedHashMap<>();
    for (int i = 0; i < fileThenLines.length; i += 2) {
      @SuppressWarnings("unchecked")
      List<String> texts = (List<String>) fileThenLines[i + 1];
      out.put((String) fileThenLines[i], new LinesEntry((String) fileThenLines[i], texts));
    }
    return out;
  }
}
