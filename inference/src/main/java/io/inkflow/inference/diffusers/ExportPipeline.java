package io.inkflow.inference.diffusers;

import ai.onnxruntime.OrtException;
import io.inkflow.inference.diffusion.GeneratedPng;
import io.inkflow.inference.diffusion.GenerationParameters;
import io.inkflow.inference.diffusion.ImagePipeline;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.RenderedImage;
import io.inkflow.inference.diffusion.StageTimings;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.DiffusersExport;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.runtime.Closeables;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.inference.runtime.InferenceException;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.scheduler.SchedulerConfig;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;

/**
 * What the pipelines over a diffusers export share: the lifecycle (renders hold a read lock that
 * {@link #close} waits for, so sessions are never freed under a render), batch validation against
 * the pack's buckets and ranges, PNG encoding with the scheduler the pack runs, and the scheduler
 * config read from the export and {@code inkflow.json}.
 */
public abstract class ExportPipeline implements ImagePipeline {
  final PackManifest pack;
  final DiffusersExport export;
  final SessionFactory factory;
  final SchedulerConfig schedulerConfig;
  final String schedulerDescription;
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final PngEncoder pngEncoder = PngEncoder.standard();
  private boolean closed;
  /** Tests watch the latents after each step. */
  BiConsumer<Integer, float[]> stepObserver;

  ExportPipeline(PackManifest pack, SessionFactory factory, SchedulerConfig schedulerConfig) {
    this.pack = pack;
    this.export = pack.diffusers();
    this.factory = factory;
    this.schedulerConfig = schedulerConfig;
    this.schedulerDescription = export.describeScheduler(schedulerConfig);
  }

  /**
   * Loads a diffusers export with the pipeline of its family.
   *
   * @throws PackException when the export is incomplete or does not match; anything opened is closed
   */
  public static ExportPipeline open(PackManifest pack, SessionOptionsConfig config) {
    if (pack.diffusers() == null) {
      throw new IllegalArgumentException("expected a diffusers export pack, found " + pack.family());
    }
    return pack.diffusers().family().flowTransformer() ? FlowPipeline.open(pack, config)
        : StableDiffusionPipeline.open(pack, config);
  }

  @Override
  public PackManifest manifest() {
    return pack;
  }

  @Override
  public ExecutionProvider executionProvider() {
    return factory.provider();
  }

  /** The scheduler as jobs and PNGs record it, e.g. {@code EulerDiscreteScheduler timestep_spacing=linspace …}. */
  public String schedulerDescription() {
    return schedulerDescription;
  }

  /** The scheduler config this pipeline runs with. */
  public SchedulerConfig schedulerConfig() {
    return schedulerConfig;
  }

  abstract ExportVaeDecoder vaeDecoder();

  /** Renders a validated batch (the read lock held): samples, then decodes once for the batch. */
  List<RenderedImage> renderBatch(List<ImageRequest> batch, Bucket bucket) throws OrtException {
    int images = batch.size();
    Sampled sampled = sampleLatents(batch, bucket, null);
    long decodeStart = System.nanoTime();
    List<RgbImage> decoded = vaeDecoder().decode(sampled.latents(), images, sampled.latentHeight(),
        sampled.latentWidth());
    Duration decode = Duration.ofNanos(System.nanoTime() - decodeStart);
    StageTimings timings = new StageTimings(images, sampled.encode(), sampled.steps(), decode, Duration.ZERO);
    List<RenderedImage> out = new ArrayList<>(images);
    for (int i = 0; i < images; i++) {
      out.add(new RenderedImage(batch.get(i), decoded.get(i), timings));
    }
    return out;
  }

  /** Final latents (unpacked) of a batch and the times it took. */
  record Sampled(float[] latents, int latentHeight, int latentWidth, Duration encode, List<Duration> steps,
      List<StepSplit> splits) {}

  /**
   * Where one sampling step's time went.
   *
   * @param denoiser the UNet or transformer call: input tensors built from Java arrays, the session run,
   *     the output copied back
   * @param copies copying the latents into the denoiser's rows (twice with guidance)
   * @param schedulerAndGuidance the scheduler's input scaling and step, guidance, and step noise
   */
  public record StepSplit(Duration denoiser, Duration copies, Duration schedulerAndGuidance) {}

  /** Encodes and samples a validated batch; {@code initialNoise} null draws it from the seeds. */
  abstract Sampled sampleLatents(List<ImageRequest> batch, Bucket bucket, float[] initialNoise) throws OrtException;

  @Override
  public List<RenderedImage> render(List<ImageRequest> batch) {
    Bucket bucket = validate(batch);
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException(pack.id() + ": pipeline is closed; expected render before close");
      }
      return renderBatch(batch, bucket);
    } catch (OrtException e) {
      throw new InferenceException(pack.id() + ": inference failed for a batch of " + batch.size() + " at " + bucket
          + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Samples a batch without decoding it and says where each step's time went (for the inference
   * benchmark).
   */
  public List<StepSplit> profileSteps(List<ImageRequest> batch) {
    Bucket bucket = validate(batch);
    lifecycle.readLock().lock();
    try {
      if (closed) {
        throw new IllegalStateException(pack.id() + ": pipeline is closed; expected render before close");
      }
      return sampleLatents(batch, bucket, null).splits();
    } catch (OrtException e) {
      throw new InferenceException(pack.id() + ": inference failed: " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  Bucket validate(List<ImageRequest> batch) {
    return ImagePipeline.validate(pack, batch);
  }

  @Override
  public GeneratedPng encodePng(RenderedImage image) {
    return encodePng(image, pngEncoder);
  }

  @Override
  public GeneratedPng encodePng(RenderedImage image, PngEncoder encoder) {
    long start = System.nanoTime();
    byte[] png = encoder.encode(image.image(), GenerationParameters.textEntries(image.request(), pack, schedulerDescription));
    String sha;
    try {
      sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return new GeneratedPng(image.request(), png, sha, image.image().width(), image.image().height(),
        image.timings().withPng(Duration.ofNanos(System.nanoTime() - start)));
  }

  /** The stages, in the order they are closed (the reverse of loading). */
  abstract List<AutoCloseable> stagesInCloseOrder();

  /** Closes every stage once the renders in progress have ended. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lifecycle.writeLock().unlock();
    }
    RuntimeException failure = Closeables.closeAll(stagesInCloseOrder(), null);
    if (failure != null) {
      throw failure;
    }
  }

  static <T extends AutoCloseable> T add(List<AutoCloseable> built, T stage) {
    built.add(stage);
    return stage;
  }

  /** Closes {@code built} in reverse order after a failed load, adding any failure to {@code primary}. */
  static void closeBuilt(List<AutoCloseable> built, RuntimeException primary) {
    Collections.reverse(built);
    Closeables.closeAll(built, primary);
  }
}
