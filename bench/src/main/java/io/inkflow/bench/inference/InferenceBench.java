package io.inkflow.bench.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.inference.diffusion.Denoiser;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.ImagePositions;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.LatentNoise;
import io.inkflow.inference.diffusion.MmditTransformer;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.diffusion.TextToImagePipeline;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.GraphSpec;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.runtime.Tensors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The bare-model benchmark (not a test): images/s and time per stage of {@link TextToImagePipeline}
 * on one thread of control, for several batch sizes, plus ONNX Runtime's call overhead per step.
 *
 * <p>Per configuration it warms up, then runs whole batches (encode, sample, decode, PNG) until a
 * minimum time has passed, and takes medians; with {@code --rounds R} every configuration (each
 * spin-wait setting in turn) is measured R times, alternating, and each cell reports the median
 * over rounds, with the most CPU other processes and the hypervisor took in any round. Each step's time is split into the transformer
 * call (timed around {@code Denoiser.Batch.velocity}) and the Java sampler work around it
 * (guidance, Euler update, copies). The call overhead is measured on a near-empty graph with the
 * transformer's exact inputs and outputs whose only operator is {@code Identity(latents)}: the same
 * Java path (latents copied into a direct buffer, tensors created, JNI, session run, pinned output
 * copied back) with no model compute.
 */
@Command(name = "scripts/bench/inference", mixinStandardHelpOptions = true, sortOptions = false,
    description = "The bare text-to-image loop on CPU: images/s and time per stage, per size and batch size.")
public final class InferenceBench implements Callable<Integer> {
  @Option(names = "--pack", paramLabel = "DIR", defaultValue = "infra/models/tiny-mmdit-flow",
      description = "the generation pack (default: ${DEFAULT-VALUE})")
  private Path pack;

  @Option(names = "--sizes", paramLabel = "WxH", split = ",", defaultValue = "256x256,512x512",
      description = "image sizes, comma-separated (default: ${DEFAULT-VALUE})")
  private List<String> sizeTexts;

  @Option(names = "--batches", paramLabel = "N", split = ",", defaultValue = "1,4,8",
      description = "batch sizes, comma-separated (default: ${DEFAULT-VALUE})")
  private List<Integer> batchSizes;

  @Option(names = "--steps", paramLabel = "N", description = "sampler steps (default: the pack's)")
  private Integer stepsOption;

  @Option(names = "--seconds", paramLabel = "S", defaultValue = "8",
      description = "least measured time per configuration and round, after a warm-up of at least 2 s (default: ${DEFAULT-VALUE})")
  private double seconds;

  @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
      description = "ONNX Runtime intra-op threads; 0: its own choice (default: ${DEFAULT-VALUE})")
  private int threads;

  @Option(names = "--spin", paramLabel = "BOOL", arity = "1", split = ",", defaultValue = "false",
      description = "intra-op spin-waiting settings to measure, comma-separated: false, true or both (default: ${DEFAULT-VALUE})")
  private List<Boolean> spins;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "1",
      description = "rounds over every configuration, alternating; each cell is the median over rounds (default: ${DEFAULT-VALUE})")
  private int rounds;

  @Spec
  private CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new InferenceBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    List<Bucket> sizes = new ArrayList<>();
    for (String s : sizeTexts) {
      String[] wh = s.trim().split("x");
      try {
        sizes.add(new Bucket(Integer.parseInt(wh[0]), Integer.parseInt(wh[1])));
      } catch (RuntimeException e) {
        throw new ParameterException(spec.commandLine(), "--sizes: expected WIDTHxHEIGHT, found '" + s + "'");
      }
    }
    int[] batches = batchSizes.stream().mapToInt(Integer::intValue).toArray();
    if (rounds < 1 || threads < 0 || Arrays.stream(batches).anyMatch(b -> b < 1)) {
      throw new ParameterException(spec.commandLine(), "expected --rounds >= 1, --threads >= 0 and --batches >= 1, found "
          + rounds + ", " + threads + ", " + batchSizes);
    }
    if (PackManifest.read(pack).isDiffusers()) {
      // A diffusers export: the step split, the Java share at real sizes, schedulers against a copy.
      DiffusersBench.run(pack, batches, stepsOption, rounds);
      return 0;
    }
    run(pack, sizes, batches, stepsOption, seconds, threads, spins, rounds);
    return 0;
  }

  private static void run(Path pack, List<Bucket> sizes, int[] batches, Integer stepsOption, double seconds, int threads,
      List<Boolean> spins, int rounds) throws Exception {
    PackManifest manifest = PackManifest.read(pack);
    int steps = stepsOption != null ? stepsOption : manifest.scheduler().defaultSteps();
    Map<String, List<double[]>> cells = new LinkedHashMap<>();
    CallTimer timer = new CallTimer();
    for (int round = 1; round <= rounds; round++) {
      for (boolean spin : spins) {
        SessionOptionsConfig config = SessionOptionsConfig.cpu().withIntraOpThreads(threads).withSpinWait(spin);
        for (Bucket size : sizes) {
          try (TextToImagePipeline pipeline = TextToImagePipeline.open(pack, config, timer::wrap)) {
            for (int b : batches) {
              List<ImageRequest> batch = new ArrayList<>();
              for (int i = 0; i < b; i++) {
                batch.add(ImageRequest.of(PROMPTS[i % PROMPTS.length], size.width(), size.height(), steps,
                    manifest.scheduler().defaultGuidance(), 1000 + i)
                    .withGlyphTexts(i % 2 == 0 ? List.of("SALE") : List.of()));
              }
              CpuSample cpu0 = CpuSample.now();
              Row row = measure(pipeline, batch, seconds, timer);
              double[] others = CpuSample.now().since(cpu0);
              double nullCall = nullGraphCallMs(manifest, config, size, 2 * b);
              Profile p = profileTransformer(manifest, config, size, 2 * b);
              double[] values = {row.imagesPerSecond, row.batchMs, row.encodeMs, row.stepMs, row.callMs,
                  row.stepMs - row.callMs, nullCall, 100 * p.kernelMs / p.callMs,
                  100 * (p.modelRunMs - p.kernelMs) / p.callMs, 100 * (p.callMs - p.modelRunMs) / p.callMs,
                  row.decodeMs, row.pngMs, row.pngFastMs, others[0], others[1]};
              cells.computeIfAbsent(spin + "|" + size + "|" + b, k -> new ArrayList<>()).add(values);
              System.err.printf(Locale.ROOT, "round %d, spin-wait %s, %s, batch %d: %.2f images/s "
                  + "(other processes %.2f cores, steal %.2f)%n", round, spin, size, b, row.imagesPerSecond,
                  others[0], others[1]);
            }
          }
        }
      }
    }

    for (boolean spin : spins) {
      System.out.printf(Locale.ROOT, "%npack %s %s (%s), %d steps, guidance %.1f, CPU, intra-op threads %s, "
          + "spin-wait %s, %d cores; median of %d round(s)%n%n", manifest.id(), manifest.version(),
          manifest.precision(), steps, manifest.scheduler().defaultGuidance(), threads == 0 ? "default" : threads,
          spin, Runtime.getRuntime().availableProcessors(), rounds);
      System.out.println("| size | batch | images/s | batch ms | encode ms | step ms | transformer call ms "
          + "| sampler (Java) ms | null-graph call ms | ORT kernels / framework / Java+JNI (profiled call) "
          + "| decode ms | PNG ms/image (std) | PNG ms/image (fast) | max others / steal (cores) |");
      System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
      for (Map.Entry<String, List<double[]>> e : cells.entrySet()) {
        String[] key = e.getKey().split("\\|");
        if (Boolean.parseBoolean(key[0]) != spin) {
          continue;
        }
        double[] m = new double[e.getValue().get(0).length];
        for (int c = 0; c < m.length; c++) {
          List<Double> column = new ArrayList<>();
          for (double[] v : e.getValue()) {
            column.add(v[c]);
          }
          m[c] = c >= 13 ? column.stream().mapToDouble(Double::doubleValue).max().orElse(0) : median(column);
        }
        System.out.printf(Locale.ROOT,
            "| %s | %s | %.2f | %.1f | %.1f | %.1f | %.1f | %.2f | %.3f | %.0f%% / %.0f%% / %.1f%% | %.1f | %.1f "
                + "| %.1f | %.2f / %.2f |%n",
            key[1], key[2], m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12],
            m[13], m[14]);
      }
    }
  }

  private static final String[] PROMPTS = {
      "a red circle on the left of a blue background, with the word SALE",
      "蓝色背景左侧有一个红色圆形，写着“福”",
      "premium coffee mug on a wooden table, studio lighting, 50% off",
      "中秋快乐 月饼礼盒 product photo",
  };

  private record Row(double imagesPerSecond, double batchMs, double encodeMs, double stepMs, double callMs,
      double decodeMs, double pngMs, double pngFastMs) {}

  private static Row measure(TextToImagePipeline pipeline, List<ImageRequest> batch, double seconds, CallTimer timer) {
    // Warm-up: JIT compilation and ONNX Runtime's arena growth, for at least 2 batches and 2 s.
    long warm = System.nanoTime();
    for (int i = 0; i < 2 || System.nanoTime() - warm < 2_000_000_000L; i++) {
      pipeline.generate(batch);
    }
    List<Double> batchMs = new ArrayList<>();
    List<Double> encode = new ArrayList<>();
    List<Double> step = new ArrayList<>();
    List<Double> decode = new ArrayList<>();
    List<Double> png = new ArrayList<>();
    List<Double> pngFast = new ArrayList<>();
    List<Double> calls = new ArrayList<>();
    long images = 0;
    long start = System.nanoTime();
    long wall = 0;
    while (batchMs.size() < 3 || (System.nanoTime() - start) / 1e9 < seconds) {
      timer.reset();
      long t0 = System.nanoTime();
      List<RenderedImage> rendered = pipeline.render(batch);
      List<GeneratedPng> pngs = new ArrayList<>();
      for (RenderedImage r : rendered) {
        pngs.add(pipeline.encodePng(r));
      }
      long t1 = System.nanoTime();
      wall += t1 - t0;
      images += batch.size();
      batchMs.add((t1 - t0) / 1e6);
      var timings = pngs.get(0).timings();
      encode.add(ms(timings.encode()));
      timings.steps().forEach(d -> step.add(ms(d)));
      decode.add(ms(timings.decode()));
      pngs.forEach(p -> png.add(ms(p.timings().png())));
      calls.addAll(timer.callsMs());
      for (RenderedImage r : rendered) {
        long p0 = System.nanoTime();
        PngEncoder.fast().encode(r.image(), Map.of());
        pngFast.add((System.nanoTime() - p0) / 1e6);
      }
    }
    return new Row(images / (wall / 1e9), median(batchMs), median(encode), median(step), median(calls),
        median(decode), median(png), median(pngFast));
  }

  /** Median time of one step-shaped call to a graph that only copies its latents. */
  private static double nullGraphCallMs(PackManifest manifest, SessionOptionsConfig config, Bucket size, int rows)
      throws OrtException, IOException {
    Path dir = Files.createTempDirectory("inkflow-null-graph");
    Path file = dir.resolve("null-transformer.onnx");
    try (InputStream in = InferenceBench.class.getResourceAsStream("null-transformer.onnx")) {
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
    }
    GraphSpec real = manifest.graph(PackManifest.TRANSFORMER);
    Map<String, GraphSpec> graphs = new HashMap<>(manifest.graphs());
    graphs.put(PackManifest.TRANSFORMER, new GraphSpec(real.key(), file.getFileName().toString(), null,
        real.inputs(), real.outputs()));
    PackManifest nullPack = new PackManifest(dir, manifest.id() + "-null", manifest.version(), manifest.family(),
        manifest.description(), manifest.precision(), manifest.tokenizer(), manifest.glyphMaxLength(),
        manifest.latent(), manifest.baseResolution(), manifest.buckets(), manifest.scheduler(),
        manifest.promptRewrite(), graphs, null);
    int unit = manifest.latent().vaeScaleFactor();
    int h = size.height() / unit;
    int w = size.width() / unit;
    int contextLength = manifest.tokenizer().maxLength() + manifest.glyphMaxLength();
    int dim = Math.toIntExact(real.input("context").orElseThrow().shape().get(2).size());
    float[] context = new float[rows * contextLength * dim];
    float[] mask = new float[rows * contextLength];
    Arrays.fill(mask, 1f);
    float[] positions = ImagePositions.compute(size.width(), size.height(), manifest.latent(), manifest.baseResolution());
    float[] latents = new float[rows * manifest.latent().channels() * h * w];
    float[] velocity = new float[latents.length];
    float[] timesteps = new float[rows];
    List<Double> times = new ArrayList<>();
    try (MmditTransformer transformer = MmditTransformer.open(new SessionFactory(config), nullPack);
        Denoiser.Batch batch = transformer.bind(rows, context, mask, contextLength, positions, h, w)) {
      for (int i = 0; i < 400; i++) {
        long t0 = System.nanoTime();
        batch.velocity(latents, timesteps, velocity);
        if (i >= 100) {
          times.add((System.nanoTime() - t0) / 1e6);
        }
      }
    } finally {
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir);
    }
    return median(times);
  }

  private record Profile(double callMs, double modelRunMs, double kernelMs) {}

  /**
   * Busy and stolen CPU time of the whole machine ({@code /proc/stat}) and of this process
   * ({@code /proc/self/stat}), to report how much CPU other processes and the hypervisor took
   * during a measurement: a shared machine makes figures noisy, and the table says so.
   */
  private record CpuSample(long nanos, long machineTicks, long stealTicks, long selfTicks) {
    static CpuSample now() {
      try {
        String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i <= 3; i++) {  // user, nice, system
          busy += Long.parseLong(cpu[i]);
        }
        for (int i = 6; i <= 7; i++) {  // irq, softirq
          busy += Long.parseLong(cpu[i]);
        }
        long steal = cpu.length > 8 ? Long.parseLong(cpu[8]) : 0;
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long self = Long.parseLong(f[11]) + Long.parseLong(f[12]);  // utime, stime
        return new CpuSample(System.nanoTime(), busy, steal, self);
      } catch (IOException | RuntimeException e) {
        return new CpuSample(System.nanoTime(), -1, -1, -1);
      }
    }

    /** Average cores busy with other processes, and stolen by the hypervisor, since {@code start}. */
    double[] since(CpuSample start) {
      if (machineTicks < 0 || start.machineTicks < 0) {
        return new double[] {Double.NaN, Double.NaN};
      }
      double seconds = (nanos - start.nanos) / 1e9;
      double others = ((machineTicks - start.machineTicks) - (selfTicks - start.selfTicks)) / 100.0 / seconds;
      double steal = (stealTicks - start.stealTicks) / 100.0 / seconds;
      return new double[] {Math.max(0, others), steal};
    }
  }

  /**
   * Splits a transformer call with ONNX Runtime's profiler: per run, the Java wall time of
   * {@code run()}, ORT's {@code model_run} span, and the sum of its kernels' times. model_run minus
   * kernels is ORT's own framework time (scheduling, thread-pool hand-offs, allocation); wall minus
   * model_run is the Java and JNI side (tensor wrapping, output copies). Profiling slows runs a
   * little, so only the shares are reported.
   */
  private static Profile profileTransformer(PackManifest manifest, SessionOptionsConfig config, Bucket size, int rows)
      throws OrtException, IOException {
    GraphSpec graph = manifest.graph(PackManifest.TRANSFORMER);
    Path dir = Files.createTempDirectory("inkflow-profile");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int unit = manifest.latent().vaeScaleFactor();
    int h = size.height() / unit;
    int w = size.width() / unit;
    int contextLength = manifest.tokenizer().maxLength() + manifest.glyphMaxLength();
    int dim = Math.toIntExact(graph.input("context").orElseThrow().shape().get(2).size());
    TensorType type = manifest.precision().floatType();
    float[] mask = new float[rows * contextLength];
    Arrays.fill(mask, 1f);
    float[] timesteps = new float[rows];
    Arrays.fill(timesteps, 500f);
    float[] positions = ImagePositions.compute(size.width(), size.height(), manifest.latent(), manifest.baseResolution());
    int warm = 20;
    int runs = 60;
    List<Double> walls = new ArrayList<>();
    String profile;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (config.intraOpThreads() > 0) {
        options.setIntraOpNumThreads(config.intraOpThreads());
      }
      options.addConfigEntry("session.intra_op.allow_spinning", config.spinWait() ? "1" : "0");
      options.enableProfiling(dir.resolve("transformer").toString());
      try (OrtSession session = env.createSession(manifest.resolve(graph.file()).toString(), options);
          OnnxTensor latents = Tensors.floats(env, LatentNoise.gaussian(1, rows * manifest.latent().channels() * h * w),
              new long[] {rows, manifest.latent().channels(), h, w}, type);
          OnnxTensor t = Tensors.floats(env, timesteps, new long[] {rows}, type);
          OnnxTensor context = Tensors.floats(env, LatentNoise.gaussian(2, rows * contextLength * dim),
              new long[] {rows, contextLength, dim}, type);
          OnnxTensor m = Tensors.floats(env, mask, new long[] {rows, contextLength}, type);
          OnnxTensor pos = Tensors.floats(env, positions, new long[] {positions.length / 2, 2}, type)) {
        Map<String, OnnxTensor> inputs = Map.of("latents", latents, "timestep", t, "context", context,
            "context_mask", m, "image_positions", pos);
        for (int i = 0; i < warm + runs; i++) {
          long t0 = System.nanoTime();
          try (OrtSession.Result r = session.run(inputs)) {
            Tensors.toFloats(r.get(0));
          }
          if (i >= warm) {
            walls.add((System.nanoTime() - t0) / 1e6);
          }
        }
        profile = session.endProfiling();
      }
    }
    try {
      JsonNode events = new ObjectMapper().readTree(Path.of(profile).toFile());
      List<long[]> modelRuns = new ArrayList<>();
      for (JsonNode e : events) {
        if ("model_run".equals(e.path("name").asText())) {
          modelRuns.add(new long[] {e.get("ts").asLong(), e.get("dur").asLong()});
        }
      }
      List<long[]> measured = modelRuns.subList(modelRuns.size() - runs, modelRuns.size());
      long from = measured.get(0)[0];
      double modelRunUs = measured.stream().mapToLong(r -> r[1]).sum();
      double kernelUs = 0;
      for (JsonNode e : events) {
        if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time")
            && e.get("ts").asLong() >= from) {
          kernelUs += e.get("dur").asLong();
        }
      }
      double wallMs = walls.stream().mapToDouble(Double::doubleValue).sum() / runs;
      return new Profile(wallMs, modelRunUs / runs / 1000, kernelUs / runs / 1000);
    } finally {
      Files.deleteIfExists(Path.of(profile));
      Files.deleteIfExists(dir);
    }
  }

  /** Wraps the transformer to time each call. */
  static final class CallTimer {
    private final List<Long> nanos = new CopyOnWriteArrayList<>();

    Denoiser wrap(Denoiser delegate) {
      return (rows, context, mask, length, positions, h, w) -> {
        Denoiser.Batch batch = delegate.bind(rows, context, mask, length, positions, h, w);
        return new Denoiser.Batch() {
          @Override
          public int rows() {
            return batch.rows();
          }

          @Override
          public void velocity(float[] latents, float[] timesteps, float[] out) throws OrtException {
            long t0 = System.nanoTime();
            batch.velocity(latents, timesteps, out);
            nanos.add(System.nanoTime() - t0);
          }

          @Override
          public void close() {
            batch.close();
          }
        };
      };
    }

    void reset() {
      nanos.clear();
    }

    List<Double> callsMs() {
      List<Double> out = new ArrayList<>();
      nanos.forEach(n -> out.add(n / 1e6));
      return out;
    }
  }

  private static double ms(Duration d) {
    return d.toNanos() / 1e6;
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
