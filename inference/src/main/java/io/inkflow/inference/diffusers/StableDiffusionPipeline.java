package io.inkflow.inference.diffusers;

import ai.onnxruntime.OrtException;
import io.inkflow.inference.diffusion.Guidance;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.LatentNoise;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.DiffusersExport;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.inference.runtime.InferenceException;
import io.inkflow.inference.runtime.VaeNanException;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.scheduler.Scheduler;
import io.inkflow.inference.scheduler.SchedulerConfig;
import io.inkflow.inference.text.ClipTokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Text-to-image generation with a diffusers export of Stable Diffusion 1.x/2.x/Turbo ({@code sd}) or
 * SDXL/SDXL-Turbo ({@code sdxl}), as diffusers' {@code StableDiffusionPipeline} and {@code
 * StableDiffusionXLPipeline} compute it.
 *
 * <p>For a batch of B requests sharing a bucket and a step count:
 * <ol>
 *   <li>encode: with guidance (any image's scale above 1), 2B rows, the negative prompts first and
 *       then the prompts, as diffusers concatenates them; without, B rows. SD uses the text encoder's
 *       {@code last_hidden_state}; SDXL concatenates both encoders' penultimate {@code hidden_states}
 *       (further back by {@code clipSkip}) and takes the pooled {@code text_embeds} of the second.
 *       With {@code force_zeros_for_empty_prompt}, an SDXL image without a negative prompt gets zero
 *       negative embeddings; an explicit empty one is encoded. SDXL's {@code time_ids} are the
 *       original size, crop (0, 0) and target size, the same for both halves;</li>
 *   <li>sample: each image's initial noise from its own seed ({@link LatentNoise}) times the
 *       scheduler's {@code init_noise_sigma}; each step one UNet call over all rows, guidance
 *       {@code u + g (c - u)} per image (an image with a scale of 1 or less takes its conditional
 *       prediction), and the scheduler's step; ancestral noise per image from its seed and the step,
 *       so an image does not depend on its batch;</li>
 *   <li>decode: latents unscaled as the pipeline does, the VAE once for the batch, 8-bit RGB.</li>
 * </ol>
 * The safety checker is never run. Sessions are owned and closed in reverse order; renders hold a
 * read lock that {@link #close} waits for.
 */
public final class StableDiffusionPipeline extends ExportPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(StableDiffusionPipeline.class);

  private final List<ClipTokenizer> tokenizers;
  private final List<ClipTextEncoder> encoders;
  private final Unet unet;
  private final ExportVaeDecoder vae;
  private final int clipSkip;

  private StableDiffusionPipeline(PackManifest pack, SessionFactory factory, List<ClipTokenizer> tokenizers,
      List<ClipTextEncoder> encoders, Unet unet, ExportVaeDecoder vae, SchedulerConfig schedulerConfig) {
    super(pack, factory, schedulerConfig);
    this.tokenizers = tokenizers;
    this.encoders = encoders;
    this.unet = unet;
    this.vae = vae;
    this.clipSkip = export.options().clipSkip();
  }

  /**
   * Loads an export: its tokenizers and one session per graph, checking each graph's inputs and
   * outputs against what the family needs.
   *
   * @throws PackException when the export is incomplete or does not match; anything opened is closed
   */
  public static StableDiffusionPipeline open(PackManifest pack, SessionOptionsConfig config) {
    DiffusersExport export = pack.diffusers();
    if (export == null) {
      throw new IllegalArgumentException("expected a diffusers export pack, found " + pack.family());
    }
    SchedulerConfig scheduler = export.scheduler();
    SessionFactory factory = new SessionFactory(config);
    List<AutoCloseable> built = new ArrayList<>();
    try {
      List<ClipTokenizer> tokenizers = new ArrayList<>();
      for (var dir : export.tokenizers()) {
        tokenizers.add(ClipTokenizer.open(dir));
      }
      List<ClipTextEncoder> encoders = new ArrayList<>();
      for (DiffusersExport.TextEncoderConfig te : export.textEncoders()) {
        encoders.add(add(built, ClipTextEncoder.open(factory, pack.id(), export.dir(), te.folder(), te.withProjection())));
      }
      boolean xl = export.family() == DiffusersExport.Family.SDXL;
      int skip = export.options().clipSkip();
      if (!xl && skip > 0) {
        throw new PackException(pack.id() + ": clipSkip " + skip + " needs the text encoder's hidden states and its final"
            + " layer norm (diffusers applies it after skipping); Optimum exports of SD 1.x/2.x have neither. Expected"
            + " clipSkip 0 in " + export.dir().resolve("inkflow.json"));
      }
      if (xl) {
        for (ClipTextEncoder e : encoders) {
          if (e.hiddenStates() < skip + 2) {
            throw new PackException(pack.id() + ": SDXL takes the penultimate hidden state" + (skip > 0 ? " (clipSkip " + skip + ")" : "")
                + "; expected at least " + (skip + 2) + " hidden_states.k outputs, found " + e.hiddenStates()
                + " (export with output_hidden_states, as Optimum does for SDXL)");
          }
        }
      }
      Unet unet = add(built, Unet.open(factory, pack.id(), export.dir(), xl));
      ExportVaeDecoder vae = add(built, ExportVaeDecoder.open(factory, pack.id(), export.dir(), export.vae()));
      StableDiffusionPipeline pipeline = new StableDiffusionPipeline(pack, factory, tokenizers, encoders, unet, vae, scheduler);
      if (factory.provider() == ExecutionProvider.CPU
          && (unet.floatType() == TensorType.FLOAT16 || vae.floatType() == TensorType.FLOAT16)) {
        pipeline.checkRunsOnCpu();
      }
      LOG.info("loaded {} export {} {} ({} buckets, UNet {} with timestep {}, VAE {}, scheduler {}) on {}{}",
          export.family().id(), pack.id(), pack.version(), pack.buckets().size(), unet.floatType(), unet.timestepInput(),
          vae.floatType(), pipeline.schedulerDescription, factory.provider(),
          factory.fallbackReason().map(r -> " (CUDA unavailable: " + r + ")").orElse(""));
      return pipeline;
    } catch (RuntimeException e) {
      closeBuilt(built, e);
      throw e;
    }
  }

  /**
   * Renders one smallest image with one step: ONNX Runtime's CPU provider lacks float16 kernels for
   * some operators, which a session only finds when it runs, so an fp16 export that cannot run here
   * is refused at load rather than failing every job.
   */
  private void checkRunsOnCpu() {
    Bucket smallest = pack.buckets().stream().min(Comparator.comparingLong(Bucket::area)).orElseThrow();
    ImageRequest probe = ImageRequest.of("", smallest.width(), smallest.height(), pack.scheduler().minSteps(), 1.0, 0);
    try {
      render(List.of(probe));
    } catch (VaeNanException e) {
      LOG.warn("{}: the float16 VAE decoded NaN on a probe image; jobs it does the same for end FAILED with VAE_NAN",
          pack.id());
    } catch (InferenceException e) {
      throw new PackException(pack.id() + ": this float16 export does not run on ONNX Runtime's CPU provider (" + e.getMessage()
          + "); expected an fp32 export for CPU, or a CUDA build (-Pgpu) and INKFLOW_DEVICE=cuda", e);
    }
  }

  @Override
  ExportVaeDecoder vaeDecoder() {
    return vae;
  }

  /** The text conditioning of a batch: the UNet's context rows and, for SDXL, pooled embeddings and time ids. */
  record Conditioning(int rows, float[] context, int length, int dim, float[] pooled, int pooledDim, float[] timeIds) {}

  /**
   * Encodes the rows of a batch: negative rows first when {@code guided}, then the prompts. An SDXL
   * negative row without a negative prompt is zeros when the export forces zeros for empty prompts.
   */
  Conditioning encode(List<ImageRequest> batch, boolean guided, Bucket bucket) throws OrtException {
    int images = batch.size();
    int rows = guided ? 2 * images : images;
    boolean xl = export.family() == DiffusersExport.Family.SDXL;
    // Which rows are encoded, and which texts: zero rows are not run through the encoders.
    List<String> texts = new ArrayList<>(rows);
    int[] encodedRow = new int[rows];
    for (int row = 0; row < rows; row++) {
      boolean negative = guided && row < images;
      ImageRequest r = batch.get(negative ? row : row - (guided ? images : 0));
      if (negative && xl && r.negativePrompt() == null && export.forceZerosForEmptyPrompt()) {
        encodedRow[row] = -1;
      } else {
        encodedRow[row] = texts.size();
        texts.add(negative ? r.negativeText() : r.prompt());
      }
    }
    int length = tokenizers.get(0).maxLength();
    List<ClipTextEncoder.Output> outputs = new ArrayList<>();
    for (int e = 0; e < encoders.size(); e++) {
      ClipTokenizer tokenizer = tokenizers.get(e);
      if (tokenizer.maxLength() != length) {
        throw new IllegalStateException(pack.id() + ": expected tokenizers of one length, found " + length + " and "
            + tokenizer.maxLength());
      }
      long[] ids = new long[texts.size() * length];
      for (int t = 0; t < texts.size(); t++) {
        int[] padded = tokenizer.encodePadded(texts.get(t)).ids();
        for (int i = 0; i < length; i++) {
          ids[t * length + i] = padded[i];
        }
      }
      ClipTextEncoder encoder = encoders.get(e);
      int hidden = xl ? encoder.hiddenStates() - 2 - clipSkip : -1;
      outputs.add(encoder.encode(ids, texts.size(), length, hidden));
    }
    int dim = 0;
    for (ClipTextEncoder.Output o : outputs) {
      dim += o.width();
    }
    float[] context = new float[rows * length * dim];
    ClipTextEncoder.Output pooledSource = outputs.get(outputs.size() - 1);
    int pooledDim = xl ? pooledSource.pooledWidth() : 0;
    float[] pooled = xl ? new float[rows * pooledDim] : null;
    for (int row = 0; row < rows; row++) {
      int src = encodedRow[row];
      if (src < 0) {
        continue;
      }
      for (int token = 0; token < length; token++) {
        int at = (row * length + token) * dim;
        for (ClipTextEncoder.Output o : outputs) {
          System.arraycopy(o.states(), (src * length + token) * o.width(), context, at, o.width());
          at += o.width();
        }
      }
      if (xl) {
        System.arraycopy(pooledSource.pooled(), src * pooledDim, pooled, row * pooledDim, pooledDim);
      }
    }
    float[] timeIds = null;
    if (xl) {
      timeIds = new float[rows * 6];
      for (int row = 0; row < rows; row++) {
        float[] ids = {bucket.height(), bucket.width(), 0f, 0f, bucket.height(), bucket.width()};
        System.arraycopy(ids, 0, timeIds, row * 6, 6);
      }
    }
    return new Conditioning(rows, context, length, dim, pooled, pooledDim, timeIds);
  }


  /**
   * Encodes and samples a validated batch.
   *
   * @param initialNoise unit Gaussian noise for every image [images, C, h, w]; null to draw it from each
   *     image's seed (tests pass a reference's noise)
   */
  @Override
  Sampled sampleLatents(List<ImageRequest> batch, Bucket bucket, float[] initialNoise) throws OrtException {
    int images = batch.size();
    boolean guided = batch.stream().anyMatch(r -> Guidance.needsUncond(r.guidanceScale()));
    long start = System.nanoTime();
    Conditioning c = encode(batch, guided, bucket);
    Duration encode = Duration.ofNanos(System.nanoTime() - start);

    int unit = export.vae().scaleFactor();
    int h = bucket.height() / unit;
    int w = bucket.width() / unit;
    int channels = export.unet().inChannels();
    int perImage = channels * h * w;
    int steps = batch.get(0).steps();
    Scheduler scheduler = Scheduler.create(schedulerConfig, steps);
    float[] x = new float[images * perImage];
    float sigma0 = scheduler.initNoiseSigma();
    if (initialNoise != null) {
      if (initialNoise.length != x.length) {
        throw new IllegalArgumentException("expected " + x.length + " noise values, found " + initialNoise.length);
      }
      System.arraycopy(initialNoise, 0, x, 0, x.length);
    } else {
      for (int i = 0; i < images; i++) {
        LatentNoise.fill(batch.get(i).seed(), x, i * perImage, perImage);
      }
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = x[i] * sigma0;
    }
    float[] scaled = new float[x.length];
    float[] modelInput = new float[c.rows() * perImage];
    float[] prediction = new float[c.rows() * perImage];
    float[] guidedPrediction = new float[images * perImage];
    float[] noise = null;
    long[] shape = {c.rows(), channels, h, w};
    List<Duration> times = new ArrayList<>(steps);
    List<StepSplit> splits = new ArrayList<>(steps);
    try (Unet.Batch model = unet.bind(shape, c.context(), c.length(), c.dim(), c.pooled(), c.pooledDim(), c.timeIds())) {
      for (int k = 0; k < scheduler.steps(); k++) {
        long stepStart = System.nanoTime();
        // Rows: [uncond images..., cond images...] with guidance, else the images.
        scheduler.scaleModelInput(x, k, scaled);
        long copyStart = System.nanoTime();
        System.arraycopy(scaled, 0, modelInput, 0, x.length);
        if (guided) {
          System.arraycopy(scaled, 0, modelInput, x.length, x.length);
        }
        long unetStart = System.nanoTime();
        model.predict(modelInput, scheduler.timestep(k), prediction);
        long unetEnd = System.nanoTime();
        for (int i = 0; i < images; i++) {
          float scale = guided ? (float) batch.get(i).guidanceScale() : 1f;
          int cond = (guided ? images + i : i) * perImage;
          Guidance.combine(prediction, cond, i * perImage, perImage, scale, guidedPrediction, i * perImage);
        }
        if (scheduler.drawsNoise(k)) {
          noise = noise == null ? new float[x.length] : noise;
          for (int i = 0; i < images; i++) {
            LatentNoise.fill(stepSeed(batch.get(i).seed(), k), noise, i * perImage, perImage);
          }
        }
        scheduler.step(guidedPrediction, k, x, scheduler.drawsNoise(k) ? noise : null);
        long stepEnd = System.nanoTime();
        times.add(Duration.ofNanos(stepEnd - stepStart));
        splits.add(new StepSplit(Duration.ofNanos(unetEnd - unetStart), Duration.ofNanos(unetStart - copyStart),
            Duration.ofNanos((copyStart - stepStart) + (stepEnd - unetEnd))));
        if (stepObserver != null) {
          stepObserver.accept(k, x.clone());
        }
      }
    }
    return new Sampled(x, h, w, encode, times, splits);
  }

  /** The seed of an image's noise for an ancestral step: its own seed and the step, never its batch. */
  static long stepSeed(long seed, int step) {
    return seed ^ (0x632BE59BD9B4E019L * (step + 1L));
  }

  @Override
  List<AutoCloseable> stagesInCloseOrder() {
    List<AutoCloseable> stages = new ArrayList<>(List.of(vae, unet));
    List<ClipTextEncoder> reversed = new ArrayList<>(encoders);
    Collections.reverse(reversed);
    stages.addAll(reversed);
    return stages;
  }
}
