package io.inkflow.bench.verdict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImagePipeline;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.image.PngDecoder;
import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardModel;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.streams.scoring.RewardPolicy;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The Java half of the bad-case verdict study ({@code scripts/eval/verdicts}), which the Python half
 * drives: {@code draw} renders requests with an {@code mmdit-flow} pack (the worker's pipeline) into PNGs,
 * {@code score} scores PNGs with a reward pack and judges them with the scoring stream's
 * {@link RewardPolicy}, exactly as the scoring stream does. Requests and cases are JSON lines; the
 * rule-based checker that labels the images lives in Python and never reaches this side.
 */
@Command(name = "verdict-study", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Draw images with an mmdit-flow pack, or score them with a reward pack and the scoring stream's policy.")
public final class VerdictStudy implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Parameters(index = "0", paramLabel = "MODE", description = "draw or score")
  private String mode;

  @Option(names = "--pack", required = true, paramLabel = "DIR", description = "the mmdit-flow pack (draw) or reward pack (score)")
  private Path pack;

  @Option(names = "--input", required = true, paramLabel = "FILE",
      description = "JSON lines: draw {id, prompt, glyphs, width, height, steps, guidance, seed}; score {id, prompt, glyphs}")
  private Path input;

  @Option(names = "--images", required = true, paramLabel = "DIR", description = "where the PNGs <id>.png are written (draw) or read (score)")
  private Path images;

  @Option(names = "--out", paramLabel = "FILE", description = "score: JSON lines of scores and verdicts")
  private Path out;

  @Option(names = "--batch", defaultValue = "16", paramLabel = "N", description = "images per call (default: ${DEFAULT-VALUE})")
  private int batch;

  public static void main(String[] args) {
    System.exit(new CommandLine(new VerdictStudy()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(input, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        rows.add(JSON.readTree(line));
      }
    }
    switch (mode) {
      case "draw" -> draw(rows);
      case "score" -> score(rows);
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "expected MODE draw or score, found " + mode);
    }
    return 0;
  }

  private static List<String> glyphs(JsonNode row) {
    List<String> out = new ArrayList<>();
    row.path("glyphs").forEach(g -> out.add(g.asText()));
    return out;
  }

  private void draw(List<JsonNode> rows) throws Exception {
    Files.createDirectories(images);
    long started = System.nanoTime();
    int done = 0;
    try (ImagePipeline pipeline = ImagePipeline.open(pack, SessionOptionsConfig.cpu())) {
      // one render call per request: a batch must share a bucket, and a single request keeps the order simple
      for (JsonNode row : rows) {
        Path png = images.resolve(row.get("id").asText() + ".png");
        if (Files.exists(png)) {
          continue;
        }
        ImageRequest request = new ImageRequest(row.get("prompt").asText(), null, glyphs(row), row.get("width").asInt(),
            row.get("height").asInt(), row.get("steps").asInt(), row.get("guidance").asDouble(), row.get("seed").asLong(), Map.of());
        GeneratedPng image = pipeline.generate(List.of(request)).get(0);
        Files.write(png, image.png());
        if (++done % 100 == 0) {
          System.err.printf("drew %d of %d images, %.3f s/image%n", done, rows.size(), (System.nanoTime() - started) / 1e9 / done);
        }
      }
    }
  }

  private void score(List<JsonNode> rows) throws Exception {
    if (out == null) {
      throw new CommandLine.ParameterException(new CommandLine(this), "score needs --out");
    }
    try (RewardModel model = RewardModel.open(pack, SessionOptionsConfig.cpu());
         BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      RewardPolicy policy = RewardPolicy.of(model.manifest());
      for (int i = 0; i < rows.size(); i += batch) {
        List<JsonNode> part = rows.subList(i, Math.min(rows.size(), i + batch));
        List<RewardInput> inputs = new ArrayList<>();
        for (JsonNode row : part) {
          byte[] png = Files.readAllBytes(images.resolve(row.get("id").asText() + ".png"));
          inputs.add(new RewardInput(PngDecoder.decode(png, 1L << 20), row.get("prompt").asText(), null, glyphs(row)));
        }
        List<RewardScores> scores = model.score(inputs);
        for (int j = 0; j < part.size(); j++) {
          RewardScores s = scores.get(j);
          RewardPolicy.Judgement judgement = policy.judge(s);
          ObjectNode o = JSON.createObjectNode();
          o.put("id", part.get(j).get("id").asText());
          o.put("aesthetic", s.aesthetic());
          o.put("alignment", s.alignment());
          s.textRendering().ifPresent(t -> o.put("textRendering", t.accuracy()));
          o.put("overall", judgement.overall());
          o.put("verdict", judgement.verdict().name());
          o.putPOJO("reasons", judgement.reasons());
          w.write(JSON.writeValueAsString(o));
          w.newLine();
        }
      }
    }
  }
}
