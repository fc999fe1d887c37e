package io.inkflow.bench.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.platform.Fp16Conversions;
import io.inkflow.inference.diffusers.ExportPipeline;
import io.inkflow.inference.diffusers.FluxLatents;
import io.inkflow.inference.diffusion.Guidance;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.Half;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.runtime.Tensors;
import io.inkflow.inference.scheduler.Scheduler;
import io.inkflow.inference.scheduler.SchedulerConfig;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The inference benchmark for a diffusers export ({@code sd}, {@code sdxl}): where a sampling step's
 * time goes, and whether the Java around the UNet is small next to a real model's GPU step.
 *
 * <ol>
 *   <li>On the export itself: each step split into the UNet call, the copies into its rows, and the
 *       scheduler with guidance (medians over steps and rounds).</li>
 *   <li>At real models' latent sizes, with no model: the Java work of one guided step of one image
 *       (input scaling, the two row copies, the input tensor built and the output read back, guidance,
 *       the Euler step), against a published GPU step time of that model at that size (fal-ai
 *       stable-diffusion-benchmarks, A100 80G SXM, fp16, 50 steps, TensorRT 9.0: SD 1.5 at 512 px
 *       61.14 it/s, SDXL at 1024 px 12.18 it/s). Target: at most 1%.</li>
 *   <li>Each scheduler's step against {@code System.arraycopy} of the same bytes, side by side in
 *       alternated rounds. Target: at most 3x.</li>
 * </ol>
 */
final class DiffusersBench {
  /** Published step times: {@code 1 / (it/s)} of the fastest entry of the cited table. */
  private static final double SD15_512_STEP_MS = 1000.0 / 61.14;
  private static final double SDXL_1024_STEP_MS = 1000.0 / 12.18;
  /**
   * FLUX.1-dev at 1024 px, 30 steps in 4.1 s on an RTX 4090 with FP8 weights (gigagpu.com, "RTX 4090
   * 24GB FLUX.1-dev Benchmark", early 2026; the time includes T5 and the VAE, so the step is shorter):
   * the faster of its two published figures.
   */
  private static final double FLUX_1024_STEP_MS = 4100.0 / 30;
  private static final String FLUX_DEV_CONFIG = "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\","
      + " \"shift\": 3.0, \"use_dynamic_shifting\": true, \"base_shift\": 0.5, \"max_shift\": 1.15,"
      + " \"base_image_seq_len\": 256, \"max_image_seq_len\": 4096}";
  private static final String EULER_CONFIG = "{\"_class_name\": \"EulerDiscreteScheduler\", \"beta_start\": 0.00085,"
      + " \"beta_end\": 0.012, \"beta_schedule\": \"scaled_linear\", \"steps_offset\": 1, \"timestep_spacing\": \"leading\"}";

  private DiffusersBench() {}

  static void run(Path packDir, int[] batches, Integer stepsOption, int rounds) throws Exception {
    PackManifest pack = PackManifest.read(packDir);
    int steps = stepsOption != null ? stepsOption : pack.scheduler().defaultSteps();
    Bucket bucket = pack.nearestBucket(pack.baseResolution(), pack.baseResolution());
    double guidance = pack.scheduler().defaultGuidance();
    System.out.printf(Locale.ROOT, "pack %s (%s), %s, %d steps, guidance %.1f, %d rounds%n", pack.id(), pack.family(),
        bucket, steps, guidance, rounds);

    // 1. The export itself.
    try (ExportPipeline pipeline = ExportPipeline.open(pack,
        SessionOptionsConfig.cpu().withIntraOpThreads(1))) {
      for (int batch : batches) {
        int rows = Guidance.needsUncond(guidance) && !pack.family().equals("flux") ? 2 * batch : batch;
        List<ImageRequest> requests = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
          requests.add(new ImageRequest("a photo of a cat", "blurry", List.of(), bucket.width(), bucket.height(), steps,
              guidance, i, Map.of()));
        }
        // Warm-up, long enough for the JIT to compile the step loop (a worker runs it all day).
        for (int w = 0; w < 100; w++) {
          pipeline.profileSteps(requests);
        }
        List<Double> unet = new ArrayList<>();
        List<Double> copies = new ArrayList<>();
        List<Double> java = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          for (ExportPipeline.StepSplit split : pipeline.profileSteps(requests)) {
            unet.add(micros(split.denoiser()));
            copies.add(micros(split.copies()));
            java.add(micros(split.schedulerAndGuidance()));
          }
        }
        double u = median(unet);
        double c = median(copies);
        double j = median(java);
        System.out.printf(Locale.ROOT, "export, batch %d (%d denoiser rows): per step denoiser call %.0f us, copies %.1f us,"
            + " scheduler + guidance %.1f us; Java share %.2f%%%n", batch, rows, u, c, j, 100 * (c + j) / (u + c + j));
      }
    }

    if (pack.diffusers().family().flowTransformer()) {
      // 2. Flux's latents at 1024 px (16 x 128 x 128, 4096 tokens), one row (no CFG), float16 I/O as
      // the exports run on GPUs, and float32.
      flowJavaPerStep("FLUX.1, 1024 px, fp16 I/O", TensorType.FLOAT16, rounds);
      flowJavaPerStep("FLUX.1, 1024 px, fp32 I/O", TensorType.FLOAT32, rounds);
      // 3. Packing and unpacking against arraycopy of the same bytes.
      packingVsCopy(1, 16, 128, 128, rounds);
      // 4. The float16 conversions of one step's latents: ONNX Runtime's per-value ones against Half.
      halfVsOrt(16 * 128 * 128, rounds);
      return;
    }
    // 2. Real models' latent sizes.
    javaPerStep("SD 1.5, 512 px", 4 * 64 * 64, SD15_512_STEP_MS, rounds);
    javaPerStep("SDXL, 1024 px", 4 * 128 * 128, SDXL_1024_STEP_MS, rounds);

    // 3. Scheduler steps against arraycopy of the same bytes.
    for (String className : List.of("EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
        "DPMSolverMultistepScheduler", "DDIMScheduler")) {
      schedulerVsCopy(className, 4 * 64 * 64, rounds);
    }
  }

  /**
   * The Java work of one Flux step of one image at 1024 px, as the pipeline does it: the packed
   * latents copied into the transformer's row, its input buffer filled (converted to float16 when the
   * export takes it) and wrapped, its pinned output read back, the flow-matching Euler step.
   */
  private static void flowJavaPerStep(String what, TensorType type, int rounds) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int tokens = 64 * 64;
    int n = tokens * 64;
    long[] shape = {1, tokens, 64};
    float[] row = new float[n];
    float[] prediction = gaussian(n, 2);
    Tensors.ReusableInput input = new Tensors.ReusableInput(shape, type);
    int steps = 28;
    try (Tensors.PinnedOutput output = Tensors.allocate(env, shape, type)) {
      List<Double> perStep = new ArrayList<>();
      for (int r = -5; r < rounds; r++) {
        Scheduler scheduler = Scheduler.createFlow(SchedulerConfig.parse(FLUX_DEV_CONFIG), steps,
            Scheduler.dynamicShiftMu(SchedulerConfig.parse(FLUX_DEV_CONFIG), tokens));
        float[] x = gaussian(n, 1);
        long start = System.nanoTime();
        for (int k = 0; k < steps; k++) {
          System.arraycopy(x, 0, row, 0, n);
          try (OnnxTensor tensor = input.wrap(env, row)) {
            output.read(prediction);
          }
          scheduler.step(prediction, k, x, null);
        }
        double us = (System.nanoTime() - start) / 1e3 / steps;
        if (r >= 0) {
          perStep.add(us);
        }
      }
      double median = median(perStep);
      System.out.printf(Locale.ROOT, "%s: Java per step %.0f us (%.0f-%.0f over %d rounds); published GPU step %.1f ms;"
          + " share %.2f%% (target <= 1%%)%n", what, median, min(perStep), max(perStep), rounds, FLUX_1024_STEP_MS,
          100 * median / 1000 / FLUX_1024_STEP_MS);
    }
  }

  /** Both conversions of {@code n} values, ONNX Runtime's {@code Fp16Conversions} and {@link Half}, alternated. */
  private static void halfVsOrt(int n, int rounds) {
    float[] values = gaussian(n, 11);
    short[] halves = new short[n];
    float[] back = new float[n];
    List<Double> ort = new ArrayList<>();
    List<Double> half = new ArrayList<>();
    // Ten warm-up rounds so both loops are compiled, then ten round trips per side per round, alternated.
    for (int r = -10; r < rounds; r++) {
      long ortNanos = 0;
      long halfNanos = 0;
      for (int pass = 0; pass < 10; pass++) {
        long start = System.nanoTime();
        ortRoundTrip(values, halves, back);
        ortNanos += System.nanoTime() - start;
        start = System.nanoTime();
        halfRoundTrip(values, halves, back);
        halfNanos += System.nanoTime() - start;
      }
      if (r >= 0) {
        ort.add(ortNanos / 1e4);
        half.add(halfNanos / 1e4);
      }
    }
    System.out.printf(Locale.ROOT, "float16 round trip of %d values: Fp16Conversions %.0f us (%.0f-%.0f), Half %.0f us"
        + " (%.0f-%.0f) over %d rounds%n", n, median(ort), min(ort), max(ort), median(half), min(half), max(half), rounds);
  }

  private static void ortRoundTrip(float[] values, short[] halves, float[] back) {
    for (int i = 0; i < values.length; i++) {
      halves[i] = Fp16Conversions.floatToFp16(values[i]);
    }
    for (int i = 0; i < values.length; i++) {
      back[i] = Fp16Conversions.fp16ToFloat(halves[i]);
    }
  }

  private static void halfRoundTrip(float[] values, short[] halves, float[] back) {
    for (int i = 0; i < values.length; i++) {
      halves[i] = Half.fromFloat(values[i]);
    }
    for (int i = 0; i < values.length; i++) {
      back[i] = Half.toFloat(halves[i]);
    }
  }

  /** Flux's 2x2 packing and unpacking of one batch of latents against arraycopy of the same bytes. */
  private static void packingVsCopy(int batch, int channels, int h, int w, int rounds) {
    float[] latents = gaussian(batch * channels * h * w, 7);
    float[] dst = new float[latents.length];
    float[] packed = new float[latents.length];
    float[] copied = new float[latents.length];
    List<Double> packRatios = new ArrayList<>();
    List<Double> unpackRatios = new ArrayList<>();
    for (int r = -3; r < rounds; r++) {
      long pack = 0;
      long unpack = 0;
      long copy = 0;
      for (int pass = 0; pass < 20; pass++) {
        long start = System.nanoTime();
        FluxLatents.pack(latents, batch, channels, h, w, packed);
        pack += System.nanoTime() - start;
        start = System.nanoTime();
        FluxLatents.unpack(packed, batch, channels, h, w, dst);
        unpack += System.nanoTime() - start;
        start = System.nanoTime();
        System.arraycopy(latents, 0, copied, 0, latents.length);
        copy += System.nanoTime() - start;
        latents[pass] = dst[pass] + copied[pass + 1];
      }
      if (r >= 0) {
        packRatios.add((double) pack / copy);
        unpackRatios.add((double) unpack / copy);
      }
    }
    System.out.printf(Locale.ROOT, "Flux packing of %dx%dx%d latents / arraycopy of the same bytes: %.2f"
        + " (%.2f-%.2f); unpacking %.2f (%.2f-%.2f) over %d rounds (target <= 3)%n", channels, h, w, median(packRatios),
        min(packRatios), max(packRatios), median(unpackRatios), min(unpackRatios), max(unpackRatios), rounds);
  }

  /**
   * The Java work of one guided step of one image at {@code perImage} latent values, as the pipeline
   * does it (the UNet's input buffer reused, its output pinned), median over rounds.
   */
  private static void javaPerStep(String what, int perImage, double gpuStepMs, int rounds) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    int side = (int) Math.sqrt(perImage / 4);
    long[] shape = {2, 4, side, side};
    float[] scaled = new float[perImage];
    float[] rows = new float[2 * perImage];
    float[] prediction = gaussian(2 * perImage, 2);
    float[] guided = new float[perImage];
    FloatBuffer input = Tensors.directFloats(2 * perImage);
    int steps = 40;
    try (Tensors.PinnedOutput output = Tensors.allocate(env, shape, TensorType.FLOAT32)) {
      List<Double> perStep = new ArrayList<>();
      for (int r = -5; r < rounds; r++) {
        Scheduler scheduler = Scheduler.create(SchedulerConfig.parse(EULER_CONFIG), steps);
        float[] x = gaussian(perImage, 1);
        long start = System.nanoTime();
        for (int k = 0; k < steps; k++) {
          scheduler.scaleModelInput(x, k, scaled);
          System.arraycopy(scaled, 0, rows, 0, perImage);
          System.arraycopy(scaled, 0, rows, perImage, perImage);
          input.clear();
          input.put(rows).rewind();
          try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape)) {
            output.read(prediction);
          }
          Guidance.combine(prediction, perImage, 0, perImage, 7.5f, guided, 0);
          scheduler.step(guided, k, x, null);
        }
        double us = (System.nanoTime() - start) / 1e3 / steps;
        if (r >= 0) {
          perStep.add(us);
        }
      }
      double median = median(perStep);
      System.out.printf(Locale.ROOT, "%s: Java per guided step %.0f us (%.0f-%.0f over %d rounds); published GPU step"
          + " %.1f ms; share %.2f%% (target <= 1%%)%n", what, median, min(perStep), max(perStep), rounds, gpuStepMs,
          100 * median / 1000 / gpuStepMs);
    }
  }

  private static void schedulerVsCopy(String className, int n, int rounds) {
    SchedulerConfig config = SchedulerConfig.parse(EULER_CONFIG).withClassName(className);
    float[] modelOutput = gaussian(n, 3);
    float[] noise = gaussian(n, 4);
    float[] src = gaussian(n, 5);
    float[] dst = new float[n];
    int steps = 50;
    List<Double> ratios = new ArrayList<>();
    List<Double> stepUs = new ArrayList<>();
    for (int r = -2; r < rounds; r++) {
      // Scheduler: whole 50-step runs, so every step kind (first, middle, last) counts.
      long schedNanos = 0;
      long copyNanos = 0;
      for (int pass = 0; pass < 8; pass++) {
        Scheduler scheduler = Scheduler.create(config, steps);
        float[] x = gaussian(n, 6);
        long start = System.nanoTime();
        for (int k = 0; k < steps; k++) {
          scheduler.step(modelOutput, k, x, scheduler.drawsNoise(k) ? noise : null);
        }
        schedNanos += System.nanoTime() - start;
        start = System.nanoTime();
        for (int k = 0; k < steps; k++) {
          System.arraycopy(src, 0, dst, 0, n);
          src[k] = dst[n - 1 - k];
        }
        copyNanos += System.nanoTime() - start;
      }
      if (r >= 0) {
        ratios.add((double) schedNanos / copyNanos);
        stepUs.add(schedNanos / 1e3 / (8 * steps));
      }
    }
    System.out.printf(Locale.ROOT, "%s step on %d floats: %.1f us; / arraycopy of the same bytes %.2f (%.2f-%.2f over"
        + " %d rounds; target <= 3)%n", className, n, median(stepUs), median(ratios), min(ratios), max(ratios), rounds);
  }

  private static float[] gaussian(int n, long seed) {
    Random random = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }

  private static double micros(Duration d) {
    return d.toNanos() / 1e3;
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  private static double min(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
  }

  private static double max(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
  }
}
