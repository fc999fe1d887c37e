package io.inkflow.inference.diffusion;

import ai.onnxruntime.OrtException;
import io.inkflow.inference.image.PngEncoder;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.runtime.Closeables;
import io.inkflow.inference.runtime.ExecutionProvider;
import io.inkflow.inference.runtime.InferenceException;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.text.GlyphTokenizer;
import io.inkflow.inference.text.PackTokenizer;
import io.inkflow.inference.text.PaddedIds;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Text-to-image generation with an {@code mmdit-flow} pack: prompts in, PNGs out.
 *
 * <p>For a batch of B requests sharing a bucket and a step count:
 * <ol>
 *   <li>encode: the text encoder runs once over B cond prompts and, when any image uses guidance,
 *       B negative (or empty) prompts; the glyph encoder once over the same rows (glyph texts for
 *       cond rows, none for uncond rows); their states are concatenated under one joint mask;</li>
 *   <li>sample: each image's noise comes from its own seed ({@link LatentNoise}); every step is
 *       one transformer call over all rows (2B with guidance), then per-image guidance
 *       ({@link Guidance}) and an Euler step ({@link FlowMatchEulerScheduler});</li>
 *   <li>decode: one VAE call for the batch, to 8-bit RGB;</li>
 *   <li>PNG: {@link #encodePng} per image, which a caller may run on another thread.</li>
 * </ol>
 * An image's pixels depend only on its own request: rows never interact inside the graphs
 * (attention is per row, padding is masked) and the transformer is never called with a single row
 * (whose GEMM path rounds differently), so on CPU a batch of 4 gives the same bytes as 4 single
 * runs. On CUDA, cuBLAS may pick other kernels for other batch sizes, so results across batch sizes
 * agree to rounding only.
 *
 * <p>The pipeline owns one session per stage and closes them in reverse order; {@link #render} and
 * {@link #generate} are thread-safe (concurrent calls share the stages' thread pools). {@link #close}
 * waits for renders in progress to end, so sessions are never freed under a running inference, and
 * refuses renders that come after it.
 */
public final class TextToImagePipeline implements ImagePipeline {
  private static final Logger LOG = LoggerFactory.getLogger(TextToImagePipeline.class);

  private final PackManifest pack;
  /** Renders hold the read lock, close takes the write lock: sessions outlive every render that started. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;
  private final SessionFactory factory;
  private final PackTokenizer tokenizer;
  private final GlyphTokenizer glyphs;
  private final TextEncoder textEncoder;
  private final GlyphEncoder glyphEncoder;
  private final MmditTransformer transformer;
  private final Denoiser denoiser;
  private final VaeDecoder vaeDecoder;
  private final FlowMatchEulerScheduler scheduler;
  private final PngEncoder pngEncoder = PngEncoder.standard();
  private final Map<Bucket, float[]> positions = new ConcurrentHashMap<>();

  private TextToImagePipeline(PackManifest pack, SessionFactory factory, PackTokenizer tokenizer,
      TextEncoder textEncoder, GlyphEncoder glyphEncoder, MmditTransformer transformer, Denoiser denoiser,
      VaeDecoder vaeDecoder) {
    this.pack = pack;
    this.factory = factory;
    this.tokenizer = tokenizer;
    this.glyphs = new GlyphTokenizer(pack.glyphMaxLength());
    this.textEncoder = textEncoder;
    this.glyphEncoder = glyphEncoder;
    this.transformer = transformer;
    this.denoiser = denoiser;
    this.vaeDecoder = vaeDecoder;
    this.scheduler = new FlowMatchEulerScheduler(pack.scheduler().shift());
  }

  /**
   * Loads a pack: reads its manifest, opens its tokenizer and one session per graph, checking each
   * graph's inputs and outputs.
   *
   * @throws io.inkflow.inference.pack.PackException when the pack is missing, malformed or does
   *     not match its manifest; anything opened before the failure is closed
   */
  public static TextToImagePipeline open(Path packDir, SessionOptionsConfig config) {
    return open(packDir, config, UnaryOperator.identity());
  }

  /**
   * Loads a pack, wrapping its transformer with {@code instrument} (to count or time calls).
   *
   * @see #open(Path, SessionOptionsConfig)
   */
  public static TextToImagePipeline open(Path packDir, SessionOptionsConfig config, UnaryOperator<Denoiser> instrument) {
    PackManifest pack = PackManifest.read(packDir);
    SessionFactory factory = new SessionFactory(config);
    List<AutoCloseable> built = new ArrayList<>();
    try {
      PackTokenizer tokenizer = add(built, PackTokenizer.open(pack.tokenizer(), pack.dir()));
      TextEncoder text = add(built, TextEncoder.open(factory, pack));
      GlyphEncoder glyph = add(built, GlyphEncoder.open(factory, pack));
      MmditTransformer transformer = add(built, MmditTransformer.open(factory, pack));
      VaeDecoder vae = add(built, VaeDecoder.open(factory, pack));
      LOG.info("loaded pack {} {} ({}, {} buckets) on {}{}", pack.id(), pack.version(), pack.precision(),
          pack.buckets().size(), factory.provider(),
          factory.fallbackReason().map(r -> " (CUDA unavailable: " + r + ")").orElse(""));
      return new TextToImagePipeline(pack, factory, tokenizer, text, glyph, transformer,
          instrument.apply(transformer), vae);
    } catch (RuntimeException e) {
      Collections.reverse(built);
      Closeables.closeAll(built, e);
      throw e;
    }
  }

  private static <T extends AutoCloseable> T add(List<AutoCloseable> built, T stage) {
    built.add(stage);
    return stage;
  }

  @Override
  public PackManifest manifest() {
    return pack;
  }

  @Override
  public ExecutionProvider executionProvider() {
    return factory.provider();
  }

  /**
   * Generates a batch of images without encoding them.
   *
   * @param batch requests sharing one bucket of the pack and one step count
   * @return one image per request, in order
   * @throws IllegalArgumentException when the batch mixes sizes or step counts, or a value is
   *     outside the pack's ranges
   * @throws InferenceException when ONNX Runtime fails
   */
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
      throw new InferenceException(pack.id() + ": inference failed for a batch of " + batch.size()
          + " at " + bucket + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public GeneratedPng encodePng(RenderedImage image) {
    return encodePng(image, pngEncoder);
  }

  @Override
  public GeneratedPng encodePng(RenderedImage image, PngEncoder encoder) {
    long start = System.nanoTime();
    byte[] png = encoder.encode(image.image(), GenerationParameters.textEntries(image.request(), pack));
    String sha = sha256(png);
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
    return new GeneratedPng(image.request(), png, sha, image.image().width(), image.image().height(),
        image.timings().withPng(elapsed));
  }

  Bucket validate(List<ImageRequest> batch) {
    return ImagePipeline.validate(pack, batch);
  }

  /** Encodes and samples a validated batch: the final latents, before decoding. */
  Sampled sampleLatents(List<ImageRequest> batch, Bucket bucket) throws OrtException {
    int images = batch.size();
    // Uncond rows are needed for guidance. A lone image gets them even without guidance (they are
    // then computed and ignored): ONNX Runtime's CPU GEMM takes a matrix-vector path for a single
    // row of the transformer's [N, D] timestep/adaLN layers, whose rounding differs from the batched
    // path, and an image must not depend on its batch size.
    boolean guided = images == 1 || batch.stream().anyMatch(r -> Guidance.needsUncond(r.guidanceScale()));
    int rows = guided ? 2 * images : images;

    long start = System.nanoTime();
    List<String> prompts = new ArrayList<>(rows);
    List<List<String>> glyphRows = new ArrayList<>(rows);
    for (ImageRequest r : batch) {
      prompts.add(r.prompt());
      glyphRows.add(r.glyphTexts());
    }
    if (guided) {
      for (ImageRequest r : batch) {
        prompts.add(r.negativeText());
        glyphRows.add(List.of());
      }
    }
    PaddedIds textIds = tokenizer.encodeBatch(prompts);
    PaddedIds glyphIds = glyphs.encodeBatch(glyphRows);
    float[] textStates = textEncoder.encode(textIds);
    float[] glyphStates = glyphEncoder.encode(glyphIds);
    int textLength = textIds.length();
    int glyphLength = glyphIds.length();
    int contextLength = textLength + glyphLength;
    int dim = textStates.length / (rows * textLength);
    if (glyphStates.length != rows * glyphLength * dim) {
      throw new IllegalStateException(pack.id() + ": expected glyph states [" + rows + ", " + glyphLength + ", "
          + dim + "] to match the text width, found " + glyphStates.length + " values");
    }
    float[] context = new float[rows * contextLength * dim];
    float[] contextMask = new float[rows * contextLength];
    for (int row = 0; row < rows; row++) {
      int dst = row * contextLength * dim;
      System.arraycopy(textStates, row * textLength * dim, context, dst, textLength * dim);
      System.arraycopy(glyphStates, row * glyphLength * dim, context, dst + textLength * dim, glyphLength * dim);
      for (int i = 0; i < textLength; i++) {
        contextMask[row * contextLength + i] = textIds.mask()[row * textLength + i];
      }
      for (int i = 0; i < glyphLength; i++) {
        contextMask[row * contextLength + textLength + i] = glyphIds.mask()[row * glyphLength + i];
      }
    }
    Duration encode = Duration.ofNanos(System.nanoTime() - start);

    int unit = pack.latent().vaeScaleFactor();
    int latentHeight = bucket.height() / unit;
    int latentWidth = bucket.width() / unit;
    int perImage = pack.latent().channels() * latentHeight * latentWidth;
    float[] x = new float[images * perImage];
    for (int i = 0; i < images; i++) {
      LatentNoise.fill(batch.get(i).seed(), x, i * perImage, perImage);
    }
    int steps = batch.get(0).steps();
    double[] sigmas = scheduler.sigmas(steps);
    float[] guidance = new float[images];
    for (int i = 0; i < images; i++) {
      guidance[i] = (float) batch.get(i).guidanceScale();
    }
    float[] imagePositions = positions.computeIfAbsent(bucket,
        b -> ImagePositions.compute(b.width(), b.height(), pack.latent(), pack.baseResolution()));
    List<Duration> stepTimes;
    try (Denoiser.Batch model = denoiser.bind(rows, context, contextMask, contextLength, imagePositions,
        latentHeight, latentWidth)) {
      stepTimes = EulerSampler.sample(model, x, images, perImage, sigmas, guidance);
    }
    return new Sampled(x, latentHeight, latentWidth, rows, encode, stepTimes);
  }

  /** Final latents of a batch and the times it took. */
  record Sampled(float[] latents, int latentHeight, int latentWidth, int rows, Duration encode,
      List<Duration> steps) {}

  private List<RenderedImage> renderBatch(List<ImageRequest> batch, Bucket bucket) throws OrtException {
    int images = batch.size();
    Sampled sampled = sampleLatents(batch, bucket);
    long decodeStart = System.nanoTime();
    List<RgbImage> decoded = vaeDecoder.decode(sampled.latents(), images, sampled.latentHeight(),
        sampled.latentWidth());
    Duration decode = Duration.ofNanos(System.nanoTime() - decodeStart);

    StageTimings timings = new StageTimings(images, sampled.encode(), sampled.steps(), decode, Duration.ZERO);
    LOG.debug("{}: {} image(s) at {} x {} steps ({} rows): encode {} ms, sampling {} ms, decode {} ms",
        pack.id(), images, bucket, sampled.steps().size(), sampled.rows(), sampled.encode().toMillis(),
        timings.sampling().toMillis(), decode.toMillis());
    List<RenderedImage> out = new ArrayList<>(images);
    for (int i = 0; i < images; i++) {
      out.add(new RenderedImage(batch.get(i), decoded.get(i), timings));
    }
    return out;
  }

  /** Lowercase hex SHA-256. */
  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Closes the VAE decoder, transformer, glyph encoder, text encoder and tokenizer, in that order,
   * once the renders in progress have ended. Idempotent.
   */
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
    RuntimeException failure = Closeables.closeAll(List.of(vaeDecoder, transformer, glyphEncoder, textEncoder, tokenizer), null);
    if (failure != null) {
      throw failure;
    }
  }
}
