package io.inkflow.inference.diffusers;

import ai.onnxruntime.OrtException;
import io.inkflow.inference.diffusion.Guidance;
import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.LatentNoise;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.DiffusersExport;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.scheduler.Scheduler;
import io.inkflow.inference.scheduler.SchedulerConfig;
import io.inkflow.inference.text.ClipTokenizer;
import io.inkflow.inference.text.T5Tokenizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Text-to-image generation with a diffusers export of SD3/SD3.5 ({@code sd3}) or FLUX.1 ({@code
 * flux}): MMDiT transformers sampled with flow matching, as diffusers' {@code StableDiffusion3Pipeline}
 * and {@code FluxPipeline} compute it.
 *
 * <ul>
 *   <li>SD3: both CLIP encoders' penultimate hidden states (further back by {@code clipSkip} for the
 *       prompts, never for the negatives) concatenated, zero-padded to T5's width and followed by the
 *       T5 states ({@code max_sequence_length} tokens, zeros when the export has no T5); pooled = both
 *       CLIP {@code text_embeds}. With guidance above 1, negative rows first (default {@code ""}) in one
 *       batch. The transformer takes the latents and the scheduler's timestep (0..1000).</li>
 *   <li>Flux: T5 states and the CLIP {@code pooler_output}; latents packed 2x2 into tokens with position
 *       ids, timestep divided by 1000; dev's guidance is an input of the model (no second batch half),
 *       schnell has none. Sigmas {@code linspace(1, 1/N, N)}, shifted by mu from the image's token count
 *       when the scheduler config uses dynamic shifting.</li>
 * </ul>
 * Initial noise per image from its seed, [C, h, w], packed afterwards for Flux; decode with {@code
 * z / scaling_factor + shift_factor}.
 */
public final class FlowPipeline extends ExportPipeline {
  private static final Logger LOG = LoggerFactory.getLogger(FlowPipeline.class);
  private static final int CLIP_LENGTH = 77;

  private final boolean flux;
  private final List<ClipTokenizer> clipTokenizers;
  private final List<ClipTextEncoder> clipEncoders;
  private final T5Tokenizer t5Tokenizer;
  private final T5TextEncoder t5Encoder;
  private final FlowTransformer transformer;
  private final ExportVaeDecoder vae;
  private final int t5Length;
  private final int t5Width;
  private final int clipSkip;

  private FlowPipeline(PackManifest pack, SessionFactory factory, SchedulerConfig schedulerConfig,
      List<ClipTokenizer> clipTokenizers, List<ClipTextEncoder> clipEncoders, T5Tokenizer t5Tokenizer,
      T5TextEncoder t5Encoder, FlowTransformer transformer, ExportVaeDecoder vae) {
    super(pack, factory, schedulerConfig);
    this.flux = export.family() == DiffusersExport.Family.FLUX;
    this.clipTokenizers = clipTokenizers;
    this.clipEncoders = clipEncoders;
    this.t5Tokenizer = t5Tokenizer;
    this.t5Encoder = t5Encoder;
    this.transformer = transformer;
    this.vae = vae;
    this.t5Length = export.t5MaxLength();
    this.t5Width = export.transformer().jointAttentionDim();
    this.clipSkip = export.options().clipSkip();
  }

  /**
   * Loads an SD3 or Flux export: its tokenizers and one session per graph, checked against what the
   * family needs.
   *
   * @throws PackException when the export is incomplete or does not match; anything opened is closed
   */
  public static FlowPipeline open(PackManifest pack, SessionOptionsConfig config) {
    DiffusersExport export = pack.diffusers();
    SchedulerConfig scheduler = export.scheduler();
    if (!scheduler.className().equals(SchedulerConfig.FLOW_MATCH_EULER)) {
      throw new PackException(pack.id() + ": expected " + SchedulerConfig.FLOW_MATCH_EULER + " for a " + export.family().id()
          + " export, found " + scheduler.className());
    }
    boolean flux = export.family() == DiffusersExport.Family.FLUX;
    SessionFactory factory = new SessionFactory(config);
    List<AutoCloseable> built = new ArrayList<>();
    try {
      List<ClipTokenizer> clipTokenizers = new ArrayList<>();
      List<ClipTextEncoder> clipEncoders = new ArrayList<>();
      T5Tokenizer t5Tokenizer = null;
      T5TextEncoder t5Encoder = null;
      for (int i = 0; i < export.textEncoders().size(); i++) {
        DiffusersExport.TextEncoderConfig te = export.textEncoders().get(i);
        if (te.t5()) {
          t5Tokenizer = add(built, T5Tokenizer.open(export.tokenizers().get(i)));
          t5Encoder = add(built, T5TextEncoder.open(factory, pack.id(), export.dir(), te.folder()));
        } else {
          clipTokenizers.add(ClipTokenizer.open(export.tokenizers().get(i)));
          ClipTextEncoder encoder = add(built, ClipTextEncoder.open(factory, pack.id(), export.dir(), te.folder(),
              te.withProjection()));
          if (!flux && encoder.hiddenStates() < export.options().clipSkip() + 2) {
            throw new PackException(pack.id() + ": SD3 takes the penultimate hidden state of " + te.folder()
                + "; expected at least " + (export.options().clipSkip() + 2) + " hidden_states.k outputs, found "
                + encoder.hiddenStates() + " (export with output_hidden_states, as Optimum does for SD3)");
          }
          clipEncoders.add(encoder);
        }
      }
      if (flux && export.options().clipSkip() > 0) {
        throw new PackException(pack.id() + ": Flux takes the CLIP pooled output only; expected clipSkip 0 in "
            + export.dir().resolve("inkflow.json"));
      }
      FlowTransformer transformer = add(built, FlowTransformer.open(factory, pack.id(), export.dir(), flux));
      ExportVaeDecoder vae = add(built, ExportVaeDecoder.open(factory, pack.id(), export.dir(), export.vae()));
      FlowPipeline pipeline = new FlowPipeline(pack, factory, scheduler, clipTokenizers, clipEncoders, t5Tokenizer,
          t5Encoder, transformer, vae);
      LOG.info("loaded {} export {} {} ({} buckets, transformer {}, T5 {}, VAE {}, scheduler {}) on {}{}",
          export.family().id(), pack.id(), pack.version(), pack.buckets().size(), transformer.floatType(),
          t5Encoder == null ? "absent (zeros)" : export.t5MaxLength() + " tokens", vae.floatType(),
          pipeline.schedulerDescription, factory.provider(),
          factory.fallbackReason().map(r -> " (CUDA unavailable: " + r + ")").orElse(""));
      return pipeline;
    } catch (RuntimeException e) {
      closeBuilt(built, e);
      throw e;
    }
  }

  @Override
  ExportVaeDecoder vaeDecoder() {
    return vae;
  }

  /** A batch's text conditioning. */
  record Conditioning(int rows, float[] context, int length, int dim, float[] pooled, int pooledDim) {}

  /** Encodes the rows of a batch: negative rows first when {@code guided} (SD3 only), then the prompts. */
  Conditioning encode(List<ImageRequest> batch, boolean guided) throws OrtException {
    int images = batch.size();
    int rows = guided ? 2 * images : images;
    List<String> texts = new ArrayList<>(rows);
    for (int row = 0; row < rows; row++) {
      boolean negative = guided && row < images;
      ImageRequest r = batch.get(negative ? row : row - (guided ? images : 0));
      texts.add(negative ? r.negativeText() : r.prompt());
    }
    float[] t5 = t5States(texts);
    if (flux) {
      ClipTextEncoder.Output clip = clipEncoders.get(0).encode(clipIds(clipTokenizers.get(0), texts), rows, CLIP_LENGTH, -1);
      return new Conditioning(rows, t5, t5Length, t5Width, clip.pooled(), clip.pooledWidth());
    }
    List<ClipTextEncoder.Output> clip = new ArrayList<>();
    for (int e = 0; e < 2; e++) {
      clip.add(sd3ClipStates(e, texts, guided ? images : 0));
    }
    float[] context = assembleSd3(clip.get(0).states(), clip.get(0).width(), clip.get(1).states(), clip.get(1).width(),
        t5, rows, t5Length, t5Width);
    float[] pooled = concatRows(clip.get(0).pooled(), clip.get(0).pooledWidth(), clip.get(1).pooled(),
        clip.get(1).pooledWidth(), rows);
    return new Conditioning(rows, context, CLIP_LENGTH + t5Length, t5Width, pooled,
        clip.get(0).pooledWidth() + clip.get(1).pooledWidth());
  }

  /**
   * One SD3 CLIP encoder's states for every row: the penultimate hidden state, or {@code clipSkip}
   * further back for the prompt rows (diffusers never applies clip_skip to the negatives).
   */
  private ClipTextEncoder.Output sd3ClipStates(int e, List<String> texts, int negatives) throws OrtException {
    ClipTextEncoder encoder = clipEncoders.get(e);
    long[] ids = clipIds(clipTokenizers.get(e), texts);
    int penultimate = encoder.hiddenStates() - 2;
    if (clipSkip == 0) {
      return encoder.encode(ids, texts.size(), CLIP_LENGTH, penultimate);
    }
    int rows = texts.size();
    ClipTextEncoder.Output all = encoder.encode(ids, rows, CLIP_LENGTH, penultimate - clipSkip);
    if (negatives == 0) {
      return all;
    }
    ClipTextEncoder.Output plain = encoder.encode(ids, rows, CLIP_LENGTH, penultimate);
    float[] states = all.states().clone();
    System.arraycopy(plain.states(), 0, states, 0, negatives * CLIP_LENGTH * all.width());
    return new ClipTextEncoder.Output(states, all.width(), all.pooled(), all.pooledWidth());
  }

  private static long[] clipIds(ClipTokenizer tokenizer, List<String> texts) {
    long[] ids = new long[texts.size() * CLIP_LENGTH];
    for (int t = 0; t < texts.size(); t++) {
      int[] padded = tokenizer.encodePadded(texts.get(t)).ids();
      for (int i = 0; i < CLIP_LENGTH; i++) {
        ids[t * CLIP_LENGTH + i] = padded[i];
      }
    }
    return ids;
  }

  /** T5 states [rows, t5Length, t5Width]; zeros when the export has no T5 (SD3 allows leaving it out). */
  private float[] t5States(List<String> texts) throws OrtException {
    int rows = texts.size();
    if (t5Encoder == null) {
      return new float[rows * t5Length * t5Width];
    }
    long[] ids = new long[rows * t5Length];
    for (int t = 0; t < rows; t++) {
      int[] padded = t5Tokenizer.encodePadded(texts.get(t), t5Length).ids();
      for (int i = 0; i < t5Length; i++) {
        ids[t * t5Length + i] = padded[i];
      }
    }
    T5TextEncoder.Output out = t5Encoder.encode(ids, rows, t5Length);
    if (out.width() != t5Width) {
      throw new PackException(pack.id() + ": expected T5 states of width " + t5Width + " (transformer joint_attention_dim),"
          + " found " + out.width());
    }
    return out.states();
  }

  /**
   * SD3's prompt embeddings, as {@code StableDiffusion3Pipeline.encode_prompt}: per row, the two CLIP
   * states concatenated on channels and zero-padded to the T5 width (77 tokens), then the T5 states.
   */
  static float[] assembleSd3(float[] clipL, int widthL, float[] clipG, int widthG, float[] t5, int rows, int t5Length,
      int t5Width) {
    if (widthL + widthG > t5Width) {
      throw new IllegalArgumentException("expected CLIP widths " + widthL + " + " + widthG + " <= the T5 width " + t5Width);
    }
    int length = CLIP_LENGTH + t5Length;
    float[] out = new float[rows * length * t5Width];
    for (int r = 0; r < rows; r++) {
      for (int p = 0; p < CLIP_LENGTH; p++) {
        int dst = (r * length + p) * t5Width;
        System.arraycopy(clipL, (r * CLIP_LENGTH + p) * widthL, out, dst, widthL);
        System.arraycopy(clipG, (r * CLIP_LENGTH + p) * widthG, out, dst + widthL, widthG);
      }
      System.arraycopy(t5, r * t5Length * t5Width, out, (r * length + CLIP_LENGTH) * t5Width, t5Length * t5Width);
    }
    return out;
  }

  /** Per row, {@code a} then {@code b}: the pooled vectors concatenated. */
  static float[] concatRows(float[] a, int widthA, float[] b, int widthB, int rows) {
    float[] out = new float[rows * (widthA + widthB)];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(a, r * widthA, out, r * (widthA + widthB), widthA);
      System.arraycopy(b, r * widthB, out, r * (widthA + widthB) + widthA, widthB);
    }
    return out;
  }

  @Override
  Sampled sampleLatents(List<ImageRequest> batch, Bucket bucket, float[] initialNoise) throws OrtException {
    int images = batch.size();
    // Flux runs no classifier-free guidance (dev's guidance is an input); SD3 batches it.
    boolean guided = !flux && batch.stream().anyMatch(r -> Guidance.needsUncond(r.guidanceScale()));
    long start = System.nanoTime();
    Conditioning c = encode(batch, guided);
    Duration encode = Duration.ofNanos(System.nanoTime() - start);

    int unit = export.vae().scaleFactor();
    int h = bucket.height() / unit;
    int w = bucket.width() / unit;
    int channels = export.vae().latentChannels();
    int perImage = channels * h * w;
    float[] noise = new float[images * perImage];
    if (initialNoise != null) {
      if (initialNoise.length != noise.length) {
        throw new IllegalArgumentException("expected " + noise.length + " noise values, found " + initialNoise.length);
      }
      System.arraycopy(initialNoise, 0, noise, 0, noise.length);
    } else {
      for (int i = 0; i < images; i++) {
        LatentNoise.fill(batch.get(i).seed(), noise, i * perImage, perImage);
      }
    }
    int steps = batch.get(0).steps();
    int tokens = (h / 2) * (w / 2);
    Scheduler scheduler = flux
        ? Scheduler.createFlow(schedulerConfig, steps, Scheduler.dynamicShiftMu(schedulerConfig, tokens))
        : Scheduler.create(schedulerConfig, steps);
    float[] x = flux ? FluxLatents.pack(noise, images, channels, h, w) : noise;
    long[] shape = flux ? new long[] {c.rows(), tokens, channels * 4L} : new long[] {c.rows(), channels, h, w};
    float[] imgIds = flux ? FluxLatents.imageIds(h, w) : null;
    float[] txtIds = flux ? new float[t5Length * 3] : null;
    float[] guidanceInput = null;
    if (transformer.takesGuidance()) {
      guidanceInput = new float[c.rows()];
      for (int i = 0; i < images; i++) {
        guidanceInput[i] = (float) batch.get(i).guidanceScale();
      }
    }
    float[] modelInput = new float[c.rows() * perImage];
    float[] prediction = new float[c.rows() * perImage];
    float[] guidedPrediction = new float[images * perImage];
    List<Duration> times = new ArrayList<>(steps);
    List<StepSplit> splits = new ArrayList<>(steps);
    try (FlowTransformer.Batch model = transformer.bind(shape, c.context(), c.length(), c.dim(), c.pooled(),
        c.pooledDim(), imgIds, txtIds, guidanceInput)) {
      for (int k = 0; k < scheduler.steps(); k++) {
        long stepStart = System.nanoTime();
        System.arraycopy(x, 0, modelInput, 0, x.length);
        if (guided) {
          System.arraycopy(x, 0, modelInput, x.length, x.length);
        }
        long modelStart = System.nanoTime();
        float t = scheduler.timestep(k);
        model.predict(modelInput, flux ? t / 1000f : t, prediction);
        long modelEnd = System.nanoTime();
        for (int i = 0; i < images; i++) {
          float scale = guided ? (float) batch.get(i).guidanceScale() : 1f;
          int cond = (guided ? images + i : i) * perImage;
          Guidance.combine(prediction, cond, i * perImage, perImage, scale, guidedPrediction, i * perImage);
        }
        scheduler.step(guidedPrediction, k, x, null);
        long stepEnd = System.nanoTime();
        times.add(Duration.ofNanos(stepEnd - stepStart));
        splits.add(new StepSplit(Duration.ofNanos(modelEnd - modelStart), Duration.ofNanos(modelStart - stepStart),
            Duration.ofNanos(stepEnd - modelEnd)));
        if (stepObserver != null) {
          stepObserver.accept(k, x.clone());
        }
      }
    }
    float[] latents = flux ? FluxLatents.unpack(x, images, channels, h, w) : x;
    return new Sampled(latents, h, w, encode, times, splits);
  }

  @Override
  List<AutoCloseable> stagesInCloseOrder() {
    List<AutoCloseable> stages = new ArrayList<>(List.of(vae, transformer));
    if (t5Encoder != null) {
      stages.add(t5Encoder);
      stages.add(t5Tokenizer);
    }
    for (int i = clipEncoders.size() - 1; i >= 0; i--) {
      stages.add(clipEncoders.get(i));
    }
    return stages;
  }
}
