package io.inkflow.bench.ocr;

import io.inkflow.inference.ocr.OcrModels;
import io.inkflow.inference.ocr.OcrResult;
import io.inkflow.inference.ocr.PpOcr;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The OCR accuracy evaluation, run by {@code scripts/eval/ocr-accuracy}: draws N cases of the rendered-text set
 * ({@link TextLineGenerator}, seed fixed), reads each with {@link PpOcr}, and scores the lines joined in reading
 * order against the truth ({@link OcrScore}). Writes {@code report.json} (exact-line rate with its 95% Wilson
 * interval and mean R_a, overall and by size band, face and script mix) and {@code cases.csv} (every case) into
 * the output folder, and prints the table.
 *
 * <p>{@code --write-images DIR} also writes every image and a {@code cases.jsonl} describing them, and
 * {@code --java-lines FILE} the lines read from each, so other readers (the JavaScript cross-check) see the
 * same pixels; {@code --skip-ocr} writes the images alone.
 */
@Command(name = "scripts/eval/ocr-accuracy", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Exact-line accuracy of the PP-OCRv4 pipeline on a seeded set of rendered text lines.")
public final class OcrAccuracy implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(OcrAccuracy.class);

  @Option(names = "--cases", paramLabel = "N", defaultValue = "320",
      description = "cases to draw and read (default: ${DEFAULT-VALUE})")
  private int cases;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "20240611",
      description = "fixes every case (default: ${DEFAULT-VALUE})")
  private long seed;

  @Option(names = "--min-size", paramLabel = "PX", defaultValue = "16",
      description = "smallest font size drawn, 16-64 (default: ${DEFAULT-VALUE})")
  private int minSize;

  @Option(names = "--models", paramLabel = "DIR",
      description = "the PP-OCRv4 models (scripts/models/fetch-ppocr prints it; default: INKFLOW_OCR_MODELS or "
          + ".cache/models/ppocr-v4-1.4.2)")
  private Path models;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = ".cache/eval/ocr-accuracy",
      description = "where report.json and cases.csv go (default: ${DEFAULT-VALUE})")
  private Path out;

  @Option(names = "--write-images", paramLabel = "DIR",
      description = "also write every image as DIR/case-NNNN.png and DIR/cases.jsonl")
  private Path imageDir;

  @Option(names = "--java-lines", paramLabel = "FILE",
      description = "also write the lines read from each image as JSON lines {\"file\", \"lines\"}")
  private Path javaLines;

  @Option(names = "--skip-ocr", description = "draw and write the images only (needs --write-images)")
  private boolean skipOcr;

  @Spec
  private CommandSpec spec;

  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    System.exit(new CommandLine(new OcrAccuracy()).execute(args));
  }

  @Override
  public Integer call() throws IOException {
    if (cases < 1 || minSize < TextLineGenerator.MIN_SIZE_PX || minSize > TextLineGenerator.MAX_SIZE_PX) {
      throw new ParameterException(spec.commandLine(), "expected --cases >= 1 and --min-size 16-64, found " + cases
          + " and " + minSize);
    }
    if (skipOcr && (imageDir == null || javaLines != null)) {
      throw new ParameterException(spec.commandLine(), "--skip-ocr needs --write-images and no --java-lines");
    }
    Path modelDir = models != null ? models
        : OcrModels.configuredDir().orElse(Path.of(".cache/models/ppocr-v4-1.4.2"));
    TextLineGenerator generator = new TextLineGenerator(TextFonts.load(), seed, minSize);
    OcrModels verified = skipOcr ? null : OcrModels.verified(modelDir);
    if (imageDir != null) {
      Files.createDirectories(imageDir);
    }
    List<CaseResult> results = new ArrayList<>();
    long start = System.nanoTime();
    try (PpOcr ocr = skipOcr ? null : PpOcr.open(verified, SessionOptionsConfig.cpu());
         BufferedWriter caseList = imageDir == null ? null : OcrFiles.newJsonlWriter(imageDir.resolve(OcrFiles.CASES));
         BufferedWriter lines = javaLines == null ? null : OcrFiles.newJsonlWriter(javaLines)) {
      for (int i = 0; i < cases; i++) {
        TextCase textCase = generator.generate(i);
        if (caseList != null) {
          caseList.write(OcrFiles.writeImage(imageDir, textCase, seed));
          caseList.newLine();
        }
        if (ocr != null) {
          OcrResult read = ocr.read(textCase.image());
          CaseResult result = CaseResult.score(textCase, read);
          results.add(result);
          if (lines != null) {
            lines.write(OcrFiles.linesLine(OcrFiles.imageFile(textCase.spec()), read.texts()));
            lines.newLine();
          }
        }
        if ((i + 1) % 40 == 0 || i + 1 == cases) {
          LOG.info("case {}/{} done, {} s", i + 1, cases, (System.nanoTime() - start) / 1_000_000_000);
        }
      }
    }
    if (skipOcr) {
      System.out.printf("wrote %d images and %s into %s%n", cases, OcrFiles.CASES, imageDir);
      return 0;
    }
    AccuracyReport report = AccuracyReport.of(results, dictionary(verified.dictionary()));
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("cases", cases);
    settings.put("seed", seed);
    settings.put("minSizePx", minSize);
    settings.put("models", OcrModels.PACKAGE);
    settings.put("modelDir", modelDir.toAbsolutePath().toString());
    settings.put("session", "cpu");
    settings.put("java", System.getProperty("java.runtime.version"));
    settings.put("fonts", Arrays.stream(TextFont.values()).map(f -> f.file().toString()).toList());
    Files.createDirectories(out);
    Files.writeString(out.resolve("report.json"), OcrFiles.JSON.writerWithDefaultPrettyPrinter()
        .writeValueAsString(report.toJson(settings)) + "\n", StandardCharsets.UTF_8);
    report.writeCsv(out.resolve("cases.csv"));
    System.out.printf("ocr accuracy: %d cases (seed %d, sizes %d-%d px), %s on CPU; exact = read lines joined in"
        + " reading order equal the truth after NFKC and whitespace removal%n", cases, seed, minSize,
        TextLineGenerator.MAX_SIZE_PX, OcrModels.PACKAGE);
    System.out.print(report.table());
    System.out.printf("wrote %s and %s%n", out.resolve("report.json"), out.resolve("cases.csv"));
    return 0;
  }

  /** The recogniser's characters as code points, one per line of the dictionary file, plus the space. */
  static Set<Integer> dictionary(Path file) throws IOException {
    Set<Integer> characters = new HashSet<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      line.codePoints().forEach(characters::add);
    }
    characters.add((int) ' ');
    return characters;
  }
}
