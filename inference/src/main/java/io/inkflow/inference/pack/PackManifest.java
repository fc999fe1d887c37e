package io.inkflow.inference.pack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;

/**
 * The manifest ({@code pack.json}) of an {@code mmdit-flow} text-to-image pack.
 *
 * <p>Reading it opens no ONNX session, so the prompt-engineering stream can resolve sizes, steps,
 * guidance and lengths from it (with {@link io.inkflow.inference.text.PackTokenizer} for token
 * counts) while only workers load the graphs. The format is documented in the module README.
 *
 * @param dir the pack folder (absolute)
 * @param id pack id, e.g. {@code tiny-mmdit-flow}
 * @param version pack version
 * @param family always {@value #FAMILY}
 * @param description free text
 * @param precision float precision of the graphs' inputs and outputs
 * @param tokenizer the prompt tokenizer
 * @param glyphMaxLength ByT5 glyph ids per row (UTF-8 bytes of all glyph texts plus separators)
 * @param latent latent space
 * @param baseResolution pixels on the side of the square the model was (mostly) trained at; the
 *     centre of its patch grid anchors the scaled 2D RoPE positions
 * @param buckets sizes the pack generates at
 * @param scheduler sampler defaults and accepted ranges
 * @param promptRewrite what the PE stream may do to prompts
 * @param graphs the graphs by role: {@value #TEXT_ENCODER}, {@value #GLYPH_ENCODER},
 *     {@value #TRANSFORMER}, {@value #VAE_DECODER}; empty for a diffusers export, whose graphs are
 *     described by their sessions
 * @param diffusers the export a {@code sd} or {@code sdxl} pack was read from; null for {@value #FAMILY}
 */
public record PackManifest(Path dir, String id, String version, String family, String description,
    Precision precision, TokenizerSpec tokenizer, int glyphMaxLength, LatentSpec latent,
    int baseResolution, List<Bucket> buckets, SchedulerSpec scheduler, RewritePolicy promptRewrite,
    Map<String, GraphSpec> graphs, DiffusersExport diffusers) {

  public static final String FAMILY = "mmdit-flow";
  public static final String TEXT_ENCODER = "textEncoder";
  public static final String GLYPH_ENCODER = "glyphEncoder";
  public static final String TRANSFORMER = "transformer";
  public static final String VAE_DECODER = "vaeDecoder";

  public PackManifest {
    buckets = List.copyOf(buckets);
    graphs = Map.copyOf(graphs);
  }

  /**
   * Reads and validates a pack's manifest.
   *
   * @param packDir the pack folder, or its {@code pack.json}
   * @throws PackException when the manifest is missing, malformed or inconsistent
   */
  public static PackManifest read(Path packDir) {
    if (Files.isDirectory(packDir) && DiffusersExport.isExport(packDir)) {
      return fromExport(DiffusersExport.read(packDir));
    }
    ManifestJson json = ManifestJson.read(packDir, FAMILY);
    Precision precision;
    try {
      precision = Precision.parse(json.text("precision"));
    } catch (IllegalArgumentException e) {
      throw json.error("precision", e.getMessage());
    }
    TokenizerSpec tokenizer = TokenizerSpec.read(json.object("tokenizer"));
    ManifestJson glyph = json.object("glyph");
    String glyphType = glyph.text("type");
    if (!glyphType.equals("byt5")) {
      throw glyph.error("type", "expected 'byt5', found '" + glyphType + "'");
    }
    ManifestJson l = json.object("latent");
    LatentSpec latent = new LatentSpec(l.positiveInt("channels"), l.positiveInt("vaeScaleFactor"),
        l.positiveInt("patchSize"), (float) l.number("scalingFactor"), (float) l.number("shiftFactor"));
    if (latent.scalingFactor() == 0f) {
      throw l.error("scalingFactor", "expected a non-zero number, found 0");
    }
    int base = json.positiveInt("baseResolution");
    if (base % latent.pixelsPerPatch() != 0) {
      throw json.error("baseResolution", "expected a multiple of " + latent.pixelsPerPatch()
          + " (vaeScaleFactor * patchSize), found " + base);
    }
    Set<Bucket> buckets = new LinkedHashSet<>();
    for (ManifestJson b : json.objects("buckets")) {
      Bucket bucket = new Bucket(b.positiveInt("width"), b.positiveInt("height"));
      if (bucket.width() % latent.pixelsPerPatch() != 0 || bucket.height() % latent.pixelsPerPatch() != 0) {
        throw json.error("buckets", "expected sides that are multiples of " + latent.pixelsPerPatch()
            + ", found " + bucket);
      }
      buckets.add(bucket);
    }
    if (buckets.isEmpty()) {
      throw json.error("buckets", "expected at least one bucket, found none");
    }
    Map<String, GraphSpec> graphs = json.graphs();
    for (String key : List.of(TEXT_ENCODER, GLYPH_ENCODER, TRANSFORMER, VAE_DECODER)) {
      if (!graphs.containsKey(key)) {
        throw json.error("graphs", "expected a graph '" + key + "', found " + graphs.keySet());
      }
    }
    checkPrecision(json, precision, graphs);
    return new PackManifest(json.dir(), json.text("id"), json.text("version"), FAMILY,
        json.text("description", ""), precision, tokenizer, glyph.positiveInt("maxLength"), latent, base,
        new ArrayList<>(buckets), SchedulerSpec.read(json.object("scheduler")),
        RewritePolicy.read(json.object("promptRewrite")), graphs, null);
  }

  /** Steps and guidance of a family when {@code inkflow.json} gives none: diffusers' pipeline defaults. */
  private static SchedulerSpec familyDefaults(DiffusersExport export) {
    PackOptions o = export.options();
    boolean schnell = export.family() == DiffusersExport.Family.FLUX && !export.transformer().guidanceEmbeds();
    double defaultGuidance = switch (export.family()) {
      case SD -> 7.5;
      case SDXL -> 5.0;
      case SD3 -> 7.0;
      case FLUX -> schnell ? 0.0 : 3.5;
    };
    int defaultSteps = switch (export.family()) {
      case SD, SDXL -> 50;
      case SD3 -> 28;
      case FLUX -> schnell ? 4 : 28;
    };
    PackOptions.Range steps = o.steps().orElse(new PackOptions.Range(defaultSteps, 1, 150));
    PackOptions.GuidanceRange g = o.guidance().orElse(new PackOptions.GuidanceRange(defaultGuidance, 0.0, 30.0));
    String scheduler = o.schedulerClass().orElse(export.schedulerClass());
    return new SchedulerSpec(scheduler, steps.defaultValue(), steps.min(), steps.max(), 0.0, g.defaultValue(),
        g.min(), g.max());
  }

  /** The manifest of a diffusers export: what the PE stream and the worker read, with the export itself. */
  public static PackManifest fromExport(DiffusersExport export) {
    List<Bucket> buckets = export.buckets();
    int unit = export.sizeUnit();
    for (Bucket b : buckets) {
      if (b.width() % unit != 0 || b.height() % unit != 0) {
        throw new PackException(export.dir().resolve(PackOptions.FILE_NAME) + ": buckets: expected sides that are"
            + " multiples of " + unit + " (the UNet's down-sampling), found " + b);
      }
    }
    DiffusersExport.VaeConfig vae = export.vae();
    return new PackManifest(export.dir(), export.packId(), export.packVersion(), export.family().id(),
        export.options().description(), Precision.FP32,
        export.t5Tokenizer()
            .map(t5 -> new TokenizerSpec(TokenizerSpec.Type.T5, export.dir().relativize(t5).toString(),
                export.t5MaxLength(), 0))
            .orElse(new TokenizerSpec(TokenizerSpec.Type.CLIP_BPE,
                export.dir().relativize(export.tokenizers().get(0)).toString(), 77, -1)),
        0, new LatentSpec(vae.latentChannels(), vae.scaleFactor(), 1, vae.scalingFactor(), vae.shiftFactor()),
        export.baseResolution(), buckets, familyDefaults(export), export.options().promptRewrite(), Map.of(), export);
  }

  /** Whether this pack is a diffusers export ({@code sd} or {@code sdxl}). */
  public boolean isDiffusers() {
    return diffusers != null;
  }

  static void checkPrecision(ManifestJson json, Precision precision, Map<String, GraphSpec> graphs) {
    for (GraphSpec g : graphs.values()) {
      List<TensorSpec> all = new ArrayList<>(g.inputs());
      all.addAll(g.outputs());
      for (TensorSpec t : all) {
        if (t.type().isFloat() && t.type() != precision.floatType()) {
          throw json.error("graphs." + g.key(), "precision " + precision + " expects float tensors of type "
              + precision.floatType() + ", found " + t);
        }
      }
    }
  }

  /** The graph with this role. */
  public GraphSpec graph(String key) {
    GraphSpec g = graphs.get(key);
    if (g == null) {
      throw new PackException("pack " + id + ": expected a graph '" + key + "', found " + graphs.keySet());
    }
    return g;
  }

  /** A file of the pack, resolved against its folder. */
  public Path resolve(String file) {
    return dir.resolve(file);
  }

  /** The exact bucket for a size, if the pack has it. */
  public Optional<Bucket> bucket(int width, int height) {
    return buckets.stream().filter(b -> b.width() == width && b.height() == height).findFirst();
  }

  /**
   * The bucket closest to a requested size: nearest aspect ratio first (compared on a log scale,
   * so 2:3 and 3:2 are equally far from 1:1), then nearest area (also log scale), then the
   * smaller bucket.
   */
  public Bucket nearestBucket(int width, int height) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("expected a positive size, found " + width + "x" + height);
    }
    double aspect = Math.log((double) width / height);
    double area = Math.log((double) width * height);
    // A plain loop (the PE stream resolves a size per request): the first of the least by aspect
    // distance, then area distance, then area.
    Bucket best = null;
    double bestAspect = 0;
    double bestArea = 0;
    for (Bucket b : buckets) {
      double byAspect = round(Math.abs(Math.log(b.aspect()) - aspect));
      double byArea = round(Math.abs(Math.log((double) b.area()) - area));
      int c = best == null ? -1 : Double.compare(byAspect, bestAspect);
      if (c == 0) {
        c = Double.compare(byArea, bestArea);
      }
      if (c == 0) {
        c = Long.compare(b.area(), best.area());
      }
      if (c < 0) {
        best = b;
        bestAspect = byAspect;
        bestArea = byArea;
      }
    }
    if (best == null) {
      throw new NoSuchElementException("pack " + id + " has no buckets");
    }
    return best;
  }

  // Ratios such as 2:3 and 3:2 are equally far from 1:1 only up to rounding; compare at 1e-9.
  private static double round(double distance) {
    return Math.rint(distance * 1e9) / 1e9;
  }

  /** The largest side over all buckets. */
  public int maxSide() {
    return buckets.stream().mapToInt(b -> Math.max(b.width(), b.height())).max().orElseThrow();
  }
}
