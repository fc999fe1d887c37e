package io.inkflow.workers.generate;

import io.inkflow.common.Digests;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.diffusion.StageTimings;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.RgbImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A generator without a model: each image is a seeded pattern with some noise (so PNG encoding
 * costs about what it costs for a real image), returned as fast as asked. Stands in for an
 * infinitely fast accelerator in the feed benchmark and for the model in unit tests.
 */
public class SyntheticGenerator implements ImageGenerator {
  private final String packId;
  private final String packVersion;
  private final PngEncoder encoder;

  public SyntheticGenerator(String packId, String packVersion) {
    this(packId, packVersion, PngEncoder.standard());
  }

  public SyntheticGenerator(String packId, String packVersion, PngEncoder encoder) {
    this.packId = packId;
    this.packVersion = packVersion;
    this.encoder = encoder;
  }

  @Override
  public String packId() {
    return packId;
  }

  @Override
  public String packVersion() {
    return packVersion;
  }

  @Override
  public List<RenderedImage> render(List<ImageRequest> batch) {
    long start = System.nanoTime();
    List<RgbImage> images = new ArrayList<>(batch.size());
    for (ImageRequest r : batch) {
      images.add(pattern(r.width(), r.height(), r.seed()));
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    StageTimings timings = new StageTimings(batch.size(), Duration.ZERO, List.of(took), Duration.ZERO, Duration.ZERO);
    List<RenderedImage> out = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      out.add(new RenderedImage(batch.get(i), images.get(i), timings));
    }
    return out;
  }

  @Override
  public GeneratedPng encodePng(RenderedImage image) {
    long start = System.nanoTime();
    Map<String, String> text = new LinkedHashMap<>();
    text.put("prompt", image.request().prompt());
    text.put("seed", Long.toString(image.request().seed()));
    text.putAll(image.request().metadata());
    byte[] png = encoder.encode(image.image(), text);
    String sha = Digests.sha256Hex(png);
    return new GeneratedPng(image.request(), png, sha, image.image().width(), image.image().height(),
        image.timings().withPng(Duration.ofNanos(System.nanoTime() - start)));
  }

  /** Smooth gradients plus a little seeded noise: compresses about as well as a generated image. */
  static RgbImage pattern(int width, int height, long seed) {
    byte[] rgb = new byte[width * height * 3];
    SplittableRandom random = new SplittableRandom(seed);
    int phase = random.nextInt(256);
    int i = 0;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int noise = random.nextInt(8);
        rgb[i++] = (byte) ((x + phase + noise) & 0xff);
        rgb[i++] = (byte) ((y * 2 + noise) & 0xff);
        rgb[i++] = (byte) (((x ^ y) + phase) & 0xff);
      }
    }
    return new RgbImage(width, height, rgb);
  }


}
