package io.inkflow.bench.ocr;

import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.ocr.OcrModels;
import io.inkflow.inference.ocr.OcrResult;
import io.inkflow.inference.ocr.PpOcr;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Benchmark (not a test), run by {@code scripts/bench/ocr}: PP-OCRv4 images per second on posters
 * ({@link Posters}) at one size, one image at a time on one thread, with the time of each stage
 * (detection with its preprocessing, DB post-processing, recognition with cropping and CTC decoding)
 * and how many posters were read exactly. One unreported warm-up round, then the reported rounds.
 */
@Command(name = "scripts/bench/ocr", mixinStandardHelpOptions = true, sortOptions = false,
    description = "PP-OCRv4 on ONNX Runtime: images per second and per-stage time on text posters.")
public final class OcrBench implements Callable<Integer> {
  @Option(names = "--images", paramLabel = "N", defaultValue = "24", description = "posters per round (default: ${DEFAULT-VALUE})")
  private int images;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "reported rounds (default: ${DEFAULT-VALUE})")
  private int rounds;

  @Option(names = "--side", paramLabel = "PX", defaultValue = "512", description = "poster side (default: ${DEFAULT-VALUE})")
  private int side;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
      description = "ONNX Runtime intra-op threads (default: ${DEFAULT-VALUE})")
  private int threads;

  @Option(names = "--models", paramLabel = "DIR", required = true, description = "the PP-OCRv4 models (scripts/models/fetch-ppocr)")
  private Path models;

  public static void main(String[] args) {
    System.exit(new CommandLine(new OcrBench()).execute(args));
  }

  @Override
  public Integer call() {
    Posters posters = new Posters(TextFonts.load());
    List<RgbImage> set = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      set.add(posters.draw(side, i));
    }
    String truth = String.join("", Posters.TEXTS).replace(" ", "");
    try (PpOcr ocr = PpOcr.open(OcrModels.verified(models), SessionOptionsConfig.cpu().withIntraOpThreads(threads))) {
      System.out.printf(Locale.ROOT, "ocr bench: %d posters of %dx%d, %d intra-op thread(s), %d rounds after a warm-up%n",
          images, side, side, threads, rounds);
      double[] rates = new double[rounds];
      for (int round = -1; round < rounds; round++) {
        long det = 0;
        long post = 0;
        long rec = 0;
        int exact = 0;
        long start = System.nanoTime();
        for (RgbImage image : set) {
          OcrResult r = ocr.read(image);
          det += r.detectNanos();
          post += r.postprocessNanos();
          rec += r.recognizeNanos();
          exact += String.join("", r.texts()).replace(" ", "").equals(truth) ? 1 : 0;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round < 0) {
          continue;
        }
        rates[round] = images / seconds;
        System.out.printf(Locale.ROOT, "round %d: %.2f images/s; per image: detect %.1f ms, post-process %.1f ms,"
            + " recognise %.1f ms; read exactly %d/%d%n", round + 1, rates[round], det / 1e6 / images, post / 1e6 / images,
            rec / 1e6 / images, exact, images);
      }
      Arrays.sort(rates);
      System.out.printf(Locale.ROOT, "median %.2f images/s (%.2f-%.2f)%n", rates[rounds / 2], rates[0], rates[rounds - 1]);
    }
    return 0;
  }
}
