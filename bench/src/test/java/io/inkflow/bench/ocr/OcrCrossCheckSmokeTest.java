package io.inkflow.bench.ocr;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.bench.ocr.OcrFiles.LinesEntry;
import io.inkflow.inference.ocr.OcrModels;
import io.inkflow.inference.ocr.PpOcr;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JavaScript cross-check in small: 30 cases of the rendered-text set read by {@code PpOcr} and by
 * {@code @gutenye/ocr-node} ({@code scripts/eval/ocr-js/read.mjs}, installed by {@code npm ci} there; scripts/test
 * runs it) from the same PNG files and model files.
 *
 * <p>The library is not a port of PaddleOCR's pipeline ({@code docs/ocr.md} lists where it differs: normalisation,
 * detection threshold, word boxes joined with spaces), so identical line lists are rare where its spaces differ; the
 * full evaluation (320 cases) found 63% identical lists and 83% identical once joined without whitespace. Here at
 * least 0.7 of the images must read the same once joined without whitespace, and both sides must read at least 0.6
 * exactly: a broken Java step (or a library that no longer runs) fails it.
 */
class OcrCrossCheckSmokeTest {
  private static final Logger LOG = LoggerFactory.getLogger(OcrCrossCheckSmokeTest.class);
  private static final int CASES = 30;
  private static final long SEED = 20240611L;

  @Test
  void javaAndTheJavaScriptLibraryReadTheSameImagesAlike(@TempDir Path dir) throws Exception {
    Path models = OcrAccuracySmokeTest.modelDir();
    Path jsDir = Path.of("..", "scripts", "eval", "ocr-js").toAbsolutePath().normalize();
    assertThat(jsDir.resolve("node_modules/@gutenye/ocr-node"))
        .withFailMessage("the JavaScript library is not installed in %s: run npm ci there (scripts/test does)", jsDir)
        .isDirectory();
    TextLineGenerator generator = new TextLineGenerator(TextFonts.load(), SEED, 16);
    Path cases = dir.resolve(OcrFiles.CASES);
    Path javaLines = dir.resolve("java-lines.jsonl");
    try (PpOcr ocr = PpOcr.open(OcrModels.verified(models), SessionOptionsConfig.cpu());
        BufferedWriter caseOut = OcrFiles.newJsonlWriter(cases);
        BufferedWriter linesOut = OcrFiles.newJsonlWriter(javaLines)) {
      for (int i = 0; i < CASES; i++) {
        TextCase textCase = generator.generate(i);
        String file = OcrFiles.imageFile(textCase.spec());
        caseOut.write(OcrFiles.writeImage(dir, textCase, SEED));
        caseOut.newLine();
        linesOut.write(OcrFiles.linesLine(file, ocr.read(textCase.image()).texts()));
        linesOut.newLine();
      }
    }
    Path jsLines = dir.resolve("js-lines.jsonl");
    Process node = new ProcessBuilder("node", jsDir.resolve("read.mjs").toString(), "--cases", cases.toString(),
        "--models", models.toString(), "--out", jsLines.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("node.log").toFile()).start();
    assertThat(node.waitFor(5, TimeUnit.MINUTES)).as("read.mjs finished within 5 minutes").isTrue();
    assertThat(node.exitValue()).as("read.mjs exit status; its output: %s", log(dir.resolve("node.log"))).isZero();

    Map<String, LinesEntry> java = OcrFiles.readLines(javaLines);
    Map<String, LinesEntry> js = OcrFiles.readLines(jsLines);
    OcrCrossCheck.Comparison c = OcrCrossCheck.compare(java, js, OcrFiles.readCases(cases));
    LOG.info("cross-check of {} images: {} identical, {} identical joined; exact: java {}, js {}", c.images(),
        c.identical(), c.identicalJoined(), c.javaExact(), c.jsExact());
    c.differences().forEach(d -> LOG.info("{}", d));
    assertThat(c.images()).isEqualTo(CASES);
    assertThat(c.identicalJoined()).as("images read alike once joined without whitespace").isGreaterThanOrEqualTo(21);
    assertThat(c.javaExact()).as("Java lines exact").isGreaterThanOrEqualTo(18);
    assertThat(c.jsExact()).as("JavaScript lines exact").isGreaterThanOrEqualTo(18);
  }

  private static String log(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(none)";
  }
}
