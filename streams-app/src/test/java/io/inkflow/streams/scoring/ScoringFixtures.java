package io.inkflow.streams.scoring;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RewardScore;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.avro.Verdict;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.testing.ExampleEvents;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Events, PNGs and a scorer whose scores the prompt dictates; public for the results tests. */
public final class ScoringFixtures {
  public static final Instant T0 = ExampleEvents.T0;
  private static final Pattern QUALITY = Pattern.compile("q=([0-9.]+)");

  private ScoringFixtures() {}

  static String jobId(String requestId, int variant) {
    return requestId + "-" + variant;
  }

  public static String uri(String requestId, int variant) {
    return "s3://bucket/images/b1/" + requestId + "/" + variant + ".png";
  }

  /** A GENERATED image whose fake score is {@code quality} (written into its rewritten prompt). */
  public static GeneratedImage generated(String batchId, String requestId, int variant, int numVariants, double quality) {
    PromptRequest request = PromptRequest.newBuilder(ExampleEvents.request()).setRequestId(requestId).setBatchId(batchId)
        .setPrompt("a teapot").setNumImages(numVariants).build();
    GenerationJob job = GenerationJob.newBuilder(ExampleEvents.job()).setRequest(request).setVariant(variant)
        .setNumVariants(numVariants).setJobId(jobId(requestId, variant)).setSeed(100 + variant)
        .setRewrittenPrompt(String.format(Locale.ROOT, "a teapot, q=%.2f", quality)).setGlyphTexts(List.of())
        .setRequestedSize(new Size(16, 16)).setSize(new Size(16, 16)).build();
    return GeneratedImage.newBuilder(ExampleEvents.image()).setJob(job).setImageUri(uri(requestId, variant))
        .setDeliveredSize(new Size(16, 16)).build();
  }

  static GeneratedImage failed(String batchId, String requestId, int variant, int numVariants) {
    return GeneratedImage.newBuilder(generated(batchId, requestId, variant, numVariants, 0)).setStatus(ImageStatus.FAILED)
        .setImageUri(null).setErrorCode("MAX_ATTEMPTS").setErrorMessage("gave up after 3 attempts").build();
  }

  public static ScoredImage scored(String requestId, int variant, int numVariants, Double score, Verdict verdict) {
    return ScoredImage.newBuilder().setImage(generated("b1", requestId, variant, numVariants, score == null ? 0 : score))
        .setScores(score == null ? List.of() : List.of(new RewardScore("aesthetic", score, 1.0)))
        .setRewardPackId("reward-test").setRewardPackVersion("1")
        .setOverallScore(score).setVerdict(verdict).setReasonCodes(List.of()).setScoredAt(T0).build();
  }

  static byte[] png(int width, int height) {
    byte[] rgb = new byte[width * height * 3];
    for (int i = 0; i < rgb.length; i++) {
      rgb[i] = (byte) (i * 7);
    }
    return PngEncoder.standard().encode(new RgbImage(width, height, rgb), Map.of());
  }

  /** A prompt holding this makes any batch it is in fail to score, as a pack fails on an input it cannot take. */
  static final String POISON = "[poison]";

  /** Aesthetic and alignment both equal the q=… in the prompt; records the size of every call. */
  static final class PromptScorer implements ImageScorer {
    final List<Integer> calls = new ArrayList<>();

    @Override
    public List<RewardScores> score(List<RewardInput> inputs) {
      calls.add(inputs.size());
      if (inputs.stream().anyMatch(in -> in.prompt().contains(POISON))) {
        throw new IllegalStateException("the stub cannot score a batch holding " + POISON);
      }
      List<RewardScores> out = new ArrayList<>();
      for (RewardInput in : inputs) {
        Matcher m = QUALITY.matcher(in.prompt());
        double q = m.find() ? Double.parseDouble(m.group(1)) : 0.5;
        out.add(new RewardScores(q, q, OptionalDouble.empty(), Optional.empty(), q));
      }
      return out;
    }

    @Override
    public String packId() {
      return "reward-test";
    }

    @Override
    public String packVersion() {
      return "1";
    }
  }
}
