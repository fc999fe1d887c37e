package io.inkflow.workers.generate;

import ai.onnxruntime.OrtException;
import io.inkflow.common.Digests;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.diffusion.StageTimings;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.runtime.InferenceException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A simulated accelerator: holds each batch for a latency given by a calibrated model of a real GPU
 * ({@link Latency}: fixed cost plus a cost per image) and returns PNGs encoded once up front, so many workers
 * can run on a few CPU cores while the rest of the pipeline does its real work on images of a real size. Holding
 * a batch is waiting until a deadline ({@link LockSupport#parkNanos}): it stands for the device's time and
 * uses no CPU. PNG encoding, which a GPU host does on its CPU, is measured on its own by whoever uses this
 * class, not paid per image here.
 *
 * <p>It can lose its device part-way through a batch ({@link #loseDeviceDuringBatch}): that call and every
 * later one throw what ONNX Runtime's CUDA provider throws when a device is gone, an {@link InferenceException}
 * around an {@link OrtException} with {@code "CUDA failure 999: unknown error"}.
 *
 * <p>Test and benchmark code only (the workers' test jar): production code cannot select it.
 */
public final class SimulatedAccelerator implements ImageGenerator {
  /** Time to hold a batch of {@code b} images: {@code fixed + b × perImage}. */
  public record Latency(Duration fixed, Duration perImage) {
    public Duration of(int batch) {
      return fixed.plus(perImage.multipliedBy(batch));
    }

    /** The straight line through two published (batch size, latency) points. */
    public static Latency through(int batchA, Duration latencyA, int batchB, Duration latencyB) {
      long perImage = (latencyB.toNanos() - latencyA.toNanos()) / (batchB - batchA);
      return new Latency(Duration.ofNanos(latencyA.toNanos() - perImage * batchA), Duration.ofNanos(perImage));
    }
  }

  /** One pre-encoded image: its bytes, SHA-256 and size. */
  public record Png(byte[] bytes, String sha256, int width, int height) {}

  /** One batch held: from and to, as epoch nanoseconds (comparable across processes on one machine). */
  public record Busy(long fromEpochNanos, long toEpochNanos, int images) {}

  private static final RgbImage PLACEHOLDER = new RgbImage(1, 1, new byte[3]);

  private final String packId;
  private final String packVersion;
  private final Latency latency;
  private final List<Png> pngs;
  private final List<Busy> busy = new ArrayList<>();
  private final AtomicInteger batchesUntilLoss = new AtomicInteger(-1);
  private volatile boolean lost;
  private volatile List<String> lostJobs = List.of();

  public SimulatedAccelerator(String packId, String packVersion, Latency latency, List<Png> pngs) {
    if (pngs.isEmpty()) {
      throw new IllegalArgumentException("expected at least one pre-encoded PNG, found none");
    }
    this.packId = packId;
    this.packVersion = packVersion;
    this.latency = latency;
    this.pngs = List.copyOf(pngs);
  }

  /** Encodes {@code count} images of varied content once (smooth fields, detail and grain in varying amounts). */
  public static List<Png> encode(int count, int width, int height, PngEncoder encoder) {
    List<Png> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      byte[] png = encoder.encode(content(width, height, 7919L * (i + 1)), Map.of());
      out.add(new Png(png, Digests.sha256Hex(png), width, height));
    }
    return out;
  }

  /**
   * An image of varied content: a few octaves of value noise (large shapes to fine detail, with weights drawn
   * per image) plus grain, so that PNG sizes spread as photographs' and generated images' do.
   */
  public static RgbImage content(int width, int height, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int octaves = 5;
    double[][] weights = new double[3][octaves];
    for (int c = 0; c < 3; c++) {
      for (int o = 0; o < octaves; o++) {
        weights[c][o] = random.nextDouble() * 90 / (o + 1);
      }
    }
    double[][][] grids = new double[octaves][][];
    for (int o = 0; o < octaves; o++) {
      int cells = 2 << o;
      grids[o] = new double[cells + 1][cells + 1];
      for (double[] row : grids[o]) {
        for (int k = 0; k < row.length; k++) {
          row[k] = random.nextDouble() - 0.5;
        }
      }
    }
    int grain = 20 + random.nextInt(44);
    int[] base = {random.nextInt(256), random.nextInt(256), random.nextInt(256)};
    byte[] rgb = new byte[width * height * 3];
    int i = 0;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double[] field = new double[octaves];
        for (int o = 0; o < octaves; o++) {
          field[o] = sample(grids[o], (double) x / width, (double) y / height);
        }
        for (int c = 0; c < 3; c++) {
          double v = base[c];
          for (int o = 0; o < octaves; o++) {
            v += weights[c][o] * field[(o + c) % octaves] * 2;
          }
          v += random.nextInt(grain) - grain / 2.0;
          rgb[i++] = (byte) Math.max(0, Math.min(255, (int) v));
        }
      }
    }
    return new RgbImage(width, height, rgb);
  }

  private static double sample(double[][] grid, double u, double v) {
    int cells = grid.length - 1;
    double gx = u * cells;
    double gy = v * cells;
    int x0 = (int) gx;
    int y0 = (int) gy;
    double fx = gx - x0;
    double fy = gy - y0;
    fx = fx * fx * (3 - 2 * fx);
    fy = fy * fy * (3 - 2 * fy);
    double top = grid[y0][x0] * (1 - fx) + grid[y0][x0 + 1] * fx;
    double bottom = grid[y0 + 1][x0] * (1 - fx) + grid[y0 + 1][x0 + 1] * fx;
    return top * (1 - fy) + bottom * fy;
  }

  /** The device is lost half-way through the batch that starts after {@code batches} more complete ones. */
  public SimulatedAccelerator loseDeviceDuringBatch(int batches) {
    batchesUntilLoss.set(batches);
    return this;
  }

  /** Whether the device has been lost. */
  public boolean lost() {
    return lost;
  }

  /** The job ids (the requests' {@code job_id} entries) of the batch the device was lost in; empty while it works. */
  public List<String> lostJobs() {
    return lostJobs;
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
    if (lost) {
      throw deviceLost(batch.size());
    }
    long startEpoch = epochNanos();
    long start = System.nanoTime();
    long hold = latency.of(batch.size()).toNanos();
    if (batchesUntilLoss.getAndDecrement() == 0) {
      holdUntil(start + hold / 2);
      lostJobs = batch.stream().map(r -> r.metadata().get("job_id")).toList();
      lost = true;
      record(startEpoch, epochNanos(), batch.size());
      throw deviceLost(batch.size());
    }
    holdUntil(start + hold);
    record(startEpoch, epochNanos(), batch.size());
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    StageTimings timings = new StageTimings(batch.size(), Duration.ZERO, List.of(took), Duration.ZERO, Duration.ZERO);
    List<RenderedImage> out = new ArrayList<>(batch.size());
    for (ImageRequest r : batch) {
      out.add(new RenderedImage(r, PLACEHOLDER, timings));
    }
    return out;
  }

  /** The pre-encoded PNG chosen by the request's seed; costs no encoding. */
  @Override
  public GeneratedPng encodePng(RenderedImage image) {
    Png png = pngs.get((int) Math.floorMod(image.request().seed(), (long) pngs.size()));
    return new GeneratedPng(image.request(), png.bytes(), png.sha256(), png.width(), png.height(), image.timings());
  }

  /** Every batch held so far, in order. */
  public synchronized List<Busy> busy() {
    return List.copyOf(busy);
  }

  private synchronized void record(long from, long to, int images) {
    busy.add(new Busy(from, to, images));
  }

  private static void holdUntil(long deadline) {
    for (long left = deadline - System.nanoTime(); left > 0; left = deadline - System.nanoTime()) {
      LockSupport.parkNanos(left);
    }
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** What ONNX Runtime's CUDA provider throws once the device is gone (see {@link AcceleratorLoss}). */
  private InferenceException deviceLost(int size) {
    OrtException cause = new OrtException(OrtException.OrtErrorCode.ORT_FAIL,
        "Non-zero status code returned while running MatMul node. Name:'/unet/MatMul' Status Message: CUDA failure 999:"
            + " unknown error ; GPU=0 ; hostname=simulated ; file=cuda_call.cc ; line=129 ; expr=cudaStreamSynchronize(stream);");
    return new InferenceException(packId + ": inference failed for a batch of " + size + ": " + cause.getMessage(), cause);
  }
}
