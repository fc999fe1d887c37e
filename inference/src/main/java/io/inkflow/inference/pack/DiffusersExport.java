package io.inkflow.inference.pack;

import io.inkflow.inference.scheduler.SchedulerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Stable Diffusion folder as {@code optimum-cli export onnx} writes it: {@code model_index.json},
 * one subfolder per component ({@code text_encoder/model.onnx}, {@code unet/model.onnx}, {@code
 * vae_decoder/model.onnx}, {@code tokenizer/vocab.json}, {@code scheduler/scheduler_config.json}, …),
 * each with the {@code config.json} diffusers or transformers saved for it.
 *
 * <p>Reading it opens no ONNX session: the PE stream resolves sizes, steps, guidance and token
 * budgets from the configs alone. Graph input and output names, element types and ranks are read
 * from the sessions when a worker loads them, not assumed here.
 *
 * @param dir the folder (absolute)
 * @param family {@link Family#SD} or {@link Family#SDXL}
 * @param pipelineClass {@code _class_name} of {@code model_index.json}
 * @param diffusersVersion {@code _diffusers_version}, or empty
 * @param digest sha256 (hex) over {@code model_index.json} and every component's config file
 * @param unet the UNet's config (sd, sdxl); null for the transformer families
 * @param transformer the MMDiT transformer's config (sd3, flux); null for the UNet families
 * @param vae the VAE's config (from {@code vae_decoder/config.json})
 * @param textEncoders the text encoders in pipeline order ({@code text_encoder}, {@code text_encoder_2},
 *     {@code text_encoder_3}); an SD3 export without T5 lists two
 * @param tokenizers their tokenizer folders, in the same order
 * @param schedulerConfig {@code scheduler/scheduler_config.json}
 * @param schedulerClass the scheduler class the export names
 * @param forceZerosForEmptyPrompt SDXL: zero negative embeddings when no negative prompt is given
 * @param skipped components {@code model_index.json} lists that the export does not contain
 * @param options {@code inkflow.json}, or its defaults
 */
public record DiffusersExport(Path dir, Family family, String pipelineClass, String diffusersVersion, String digest,
    UnetConfig unet, TransformerConfig transformer, VaeConfig vae, List<TextEncoderConfig> textEncoders,
    List<Path> tokenizers, Path schedulerConfig,
    String schedulerClass, boolean forceZerosForEmptyPrompt, List<String> skipped, PackOptions options) {

  private static final Logger LOG = LoggerFactory.getLogger(DiffusersExport.class);

  /** The file that marks a folder as a diffusers export. */
  public static final String MODEL_INDEX = "model_index.json";
  /** The ONNX file inside each graph component's folder. */
  public static final String MODEL_FILE = "model.onnx";

  /** The pipeline families read from diffusers exports. */
  public enum Family {
    /** Stable Diffusion 1.x, 2.x and SD-Turbo: one CLIP text encoder, a UNet, a VAE. */
    SD("sd", List.of("StableDiffusionPipeline", "OnnxStableDiffusionPipeline", "ORTStableDiffusionPipeline")),
    /** SDXL and SDXL-Turbo: two CLIP text encoders, a UNet with size conditioning, a VAE. */
    SDXL("sdxl", List.of("StableDiffusionXLPipeline", "ORTStableDiffusionXLPipeline")),
    /** SD3 and SD3.5: two CLIP text encoders and an optional T5, an MMDiT transformer, flow matching. */
    SD3("sd3", List.of("StableDiffusion3Pipeline", "ORTStableDiffusion3Pipeline")),
    /** FLUX.1 schnell and dev: a CLIP and a T5 text encoder, an MMDiT on packed latents, flow matching. */
    FLUX("flux", List.of("FluxPipeline", "ORTFluxPipeline"));

    private final String id;
    private final List<String> pipelineClasses;

    Family(String id, List<String> pipelineClasses) {
      this.id = id;
      this.pipelineClasses = pipelineClasses;
    }

    /** The family name used in pack ids and on jobs: {@code sd}, {@code sdxl}, {@code sd3} or {@code flux}. */
    public String id() {
      return id;
    }

    /** Whether the denoiser is an MMDiT transformer sampled with flow matching (SD3, Flux), not a UNet. */
    public boolean flowTransformer() {
      return this == SD3 || this == FLUX;
    }

    static Optional<Family> ofPipelineClass(String className) {
      for (Family f : values()) {
        if (f.pipelineClasses.contains(className)) {
          return Optional.of(f);
        }
      }
      return Optional.empty();
    }

    static List<String> supportedClasses() {
      List<String> out = new ArrayList<>();
      for (Family f : values()) {
        out.addAll(f.pipelineClasses);
      }
      return out;
    }
  }

  /**
   * The UNet's config.
   *
   * @param sampleSize latent side it was trained at (pixels / 8)
   * @param inChannels latent channels
   * @param downBlocks down-sampling levels + 1 ({@code block_out_channels} length): sizes must be
   *     multiples of 8 * 2^(downBlocks - 1) pixels
   * @param timeCondProjDim set for LCM-distilled UNets (a guidance embedding input), else 0
   * @param additionEmbedType {@code text_time} for SDXL, else empty
   * @param crossAttentionDim the text states' width
   */
  public record UnetConfig(int sampleSize, int inChannels, int downBlocks, int timeCondProjDim,
      String additionEmbedType, int crossAttentionDim) {

    /** Pixels a size must be a multiple of. */
    public int sizeUnit() {
      return 8 << Math.max(0, downBlocks - 1);
    }
  }

  /**
   * The MMDiT transformer's config ({@code SD3Transformer2DModel}, {@code FluxTransformer2DModel}).
   *
   * @param sampleSize latent side it was trained at; Flux's config has none and its pipeline uses 128
   * @param patchSize latent cells per token on each side (SD3 2; Flux packs 2x2 outside the model)
   * @param inChannels the transformer's input channels (Flux: 16 latent channels x 4, packed)
   * @param jointAttentionDim the text states' width (T5's)
   * @param pooledProjectionDim the pooled text vector's width
   * @param guidanceEmbeds Flux dev: guidance is an input of the model, not a second batch half
   */
  public record TransformerConfig(int sampleSize, int patchSize, int inChannels, int jointAttentionDim,
      int pooledProjectionDim, boolean guidanceEmbeds) {}

  /**
   * The VAE's config.
   *
   * @param scalingFactor latents are divided by it before decoding
   * @param shiftFactor then shifted by it (0 when absent)
   * @param latentChannels latent channels
   * @param scaleFactor pixels per latent cell, 2^(levels - 1)
   * @param latentsMean SDXL's optional per-channel mean (empty when absent)
   * @param latentsStd SDXL's optional per-channel std (empty when absent)
   * @param forceUpcast diffusers runs this VAE in fp32 even in an fp16 pipeline
   */
  public record VaeConfig(float scalingFactor, float shiftFactor, int latentChannels, int scaleFactor,
      float[] latentsMean, float[] latentsStd, boolean forceUpcast) {}

  /**
   * A CLIP text encoder's config.
   *
   * @param folder its folder name
   * @param hiddenLayers {@code num_hidden_layers}
   * @param hiddenSize {@code hidden_size}
   * @param projectionDim {@code projection_dim} (the pooled {@code text_embeds} width of a projection model)
   * @param withProjection whether it is a {@code CLIPTextModelWithProjection}
   * @param t5 whether it is a T5 encoder ({@code T5EncoderModel}), not a CLIP one
   */
  public record TextEncoderConfig(String folder, int hiddenLayers, int hiddenSize, int projectionDim,
      boolean withProjection, boolean t5) {}

  /** Whether {@code dir} holds a diffusers export. */
  public static boolean isExport(Path dir) {
    return Files.isRegularFile(dir.resolve(MODEL_INDEX));
  }

  /**
   * Reads an export folder.
   *
   * @throws PackException naming the file and what was expected when the folder is incomplete,
   *     inconsistent or of an unsupported pipeline
   */
  public static DiffusersExport read(Path folder) {
    Path dir = folder.toAbsolutePath().normalize();
    ManifestJson index = ManifestJson.readFile(dir.resolve(MODEL_INDEX));
    String pipelineClass = index.text("_class_name");
    Family family = Family.ofPipelineClass(pipelineClass).orElseThrow(() -> index.error("_class_name",
        "expected a supported pipeline class " + Family.supportedClasses() + ", found '" + pipelineClass + "'"));
    Map<String, String> listed = new LinkedHashMap<>();
    for (String key : index.fieldNames()) {
      if (!key.startsWith("_") && index.node().get(key).isArray()) {
        var entry = index.node().get(key);
        String className = entry.size() == 2 && entry.get(1).isTextual() ? entry.get(1).asText() : "";
        listed.put(key, className);
      }
    }
    List<String> required = switch (family) {
      case SD -> List.of("text_encoder", "tokenizer", "unet", "vae", "scheduler");
      case SDXL -> List.of("text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "unet", "vae", "scheduler");
      case SD3 -> List.of("text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "transformer", "vae", "scheduler");
      case FLUX -> List.of("text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "transformer", "vae", "scheduler");
    };
    for (String component : required) {
      if (!listed.containsKey(component) || listed.get(component).isEmpty()) {
        throw index.error(component, "expected the component " + component + " for a " + pipelineClass
            + ", found " + (listed.containsKey(component) ? "none (null)" : "no entry"));
      }
    }
    List<String> skipped = new ArrayList<>();
    for (Map.Entry<String, String> e : listed.entrySet()) {
      String folderName = e.getKey().equals("vae") ? "vae_decoder" : e.getKey();
      if (!required.contains(e.getKey()) && !e.getValue().isEmpty() && !Files.isDirectory(dir.resolve(folderName))) {
        skipped.add(e.getKey());
      }
    }
    if (!skipped.isEmpty()) {
      LOG.info("{}: skipping {} listed in {} but not in the export (not run; safety checking is not done)",
          dir.getFileName(), skipped, MODEL_INDEX);
    }
    String denoiser = family.flowTransformer() ? "transformer" : "unet";
    requireFile(dir, denoiser + "/" + MODEL_FILE);
    requireFile(dir, "vae_decoder/" + MODEL_FILE);
    ManifestJson denoiserJson = ManifestJson.readFile(requireFile(dir, denoiser + "/config.json"));
    UnetConfig unet = null;
    TransformerConfig transformer = null;
    int latentChannels;
    if (family.flowTransformer()) {
      transformer = new TransformerConfig(
          family == Family.FLUX ? denoiserJson.integer("sample_size", 128) : denoiserJson.positiveInt("sample_size"),
          denoiserJson.integer("patch_size", family == Family.FLUX ? 1 : 2), denoiserJson.positiveInt("in_channels"),
          denoiserJson.positiveInt("joint_attention_dim"), denoiserJson.positiveInt("pooled_projection_dim"),
          denoiserJson.bool("guidance_embeds", false));
      latentChannels = family == Family.FLUX ? transformer.inChannels() / 4 : transformer.inChannels();
    } else {
      unet = new UnetConfig(denoiserJson.positiveInt("sample_size"), denoiserJson.positiveInt("in_channels"),
          blockCount(denoiserJson), denoiserJson.integer("time_cond_proj_dim", 0),
          denoiserJson.text("addition_embed_type", ""), crossAttentionDim(denoiserJson));
      if (family == Family.SDXL && !unet.additionEmbedType().equals("text_time")) {
        throw denoiserJson.error("addition_embed_type", "expected 'text_time' for an SDXL UNet, found '"
            + unet.additionEmbedType() + "'");
      }
      latentChannels = unet.inChannels();
    }
    ManifestJson vaeJson = ManifestJson.readFile(requireFile(dir, "vae_decoder/config.json"));
    VaeConfig vae = readVae(vaeJson);
    if (vae.latentChannels() != latentChannels) {
      throw vaeJson.error("latent_channels", "expected the " + denoiser + "'s " + latentChannels + " latent channels"
          + (family == Family.FLUX ? " (in_channels / 4: Flux packs 2x2 latent cells)" : " (in_channels)") + ", found "
          + vae.latentChannels());
    }
    List<TextEncoderConfig> encoders = new ArrayList<>();
    List<Path> tokenizers = new ArrayList<>();
    List<String> suffixes = switch (family) {
      case SD -> List.of("");
      case SDXL, FLUX -> List.of("", "_2");
      case SD3 -> listed.getOrDefault("text_encoder_3", "").isEmpty() || !Files.isDirectory(dir.resolve("text_encoder_3"))
          ? List.of("", "_2") : List.of("", "_2", "_3");
    };
    for (String suffix : suffixes) {
      String name = "text_encoder" + suffix;
      requireFile(dir, name + "/" + MODEL_FILE);
      ManifestJson te = ManifestJson.readFile(requireFile(dir, name + "/config.json"));
      String arch = te.texts("architectures").isEmpty() ? listed.get(name) : te.texts("architectures").get(0);
      boolean t5 = arch.startsWith("T5");
      encoders.add(t5
          ? new TextEncoderConfig(name, te.positiveInt("num_layers"), te.positiveInt("d_model"), 0, false, true)
          : new TextEncoderConfig(name, te.positiveInt("num_hidden_layers"), te.positiveInt("hidden_size"),
              te.integer("projection_dim", 0), arch.equals("CLIPTextModelWithProjection"), false));
      Path tokenizer = dir.resolve("tokenizer" + suffix);
      if (!Files.isDirectory(tokenizer)) {
        throw new PackException(dir.resolve(MODEL_INDEX) + ": expected the folder " + tokenizer + ", found none");
      }
      tokenizers.add(tokenizer);
    }
    if ((family == Family.SDXL || family == Family.SD3) && !encoders.get(1).withProjection()) {
      throw new PackException(dir.resolve("text_encoder_2/config.json") + ": expected a CLIPTextModelWithProjection"
          + " (the pooled text_embeds), found " + listed.get("text_encoder_2"));
    }
    if (family == Family.FLUX && !encoders.get(1).t5()) {
      throw new PackException(dir.resolve("text_encoder_2/config.json") + ": expected a T5EncoderModel (Flux's text"
          + " states), found " + listed.get("text_encoder_2"));
    }
    Path scheduler = requireFile(dir, "scheduler/scheduler_config.json");
    String schedulerClass = ManifestJson.readFile(scheduler).text("_class_name");
    PackOptions options = PackOptions.read(dir);
    return new DiffusersExport(dir, family, pipelineClass, index.text("_diffusers_version", ""),
        digest(dir, listed.keySet()), unet, transformer, vae, List.copyOf(encoders), List.copyOf(tokenizers), scheduler,
        schedulerClass, index.bool("force_zeros_for_empty_prompt", true), List.copyOf(skipped), options);
  }

  private static Path requireFile(Path dir, String relative) {
    Path file = dir.resolve(relative);
    if (!Files.isRegularFile(file)) {
      throw new PackException(dir + ": expected the file " + relative + " of an Optimum ONNX export, found none");
    }
    return file;
  }

  private static int blockCount(ManifestJson unet) {
    if (!unet.has("block_out_channels")) {
      return 4;
    }
    int n = unet.node().get("block_out_channels").size();
    if (n <= 0) {
      throw unet.error("block_out_channels", "expected a non-empty list, found " + unet.node().get("block_out_channels"));
    }
    return n;
  }

  private static int crossAttentionDim(ManifestJson unet) {
    var value = unet.node().get("cross_attention_dim");
    if (value == null || value.isNull()) {
      return 0;
    }
    return value.isArray() ? value.get(0).asInt() : value.asInt();
  }

  private static VaeConfig readVae(ManifestJson vae) {
    float scaling = (float) vae.number("scaling_factor", 0.18215);
    if (!(scaling > 0) || Float.isInfinite(scaling)) {
      throw vae.error("scaling_factor", "expected a positive number, found " + scaling);
    }
    int levels = vae.has("block_out_channels") ? vae.node().get("block_out_channels").size() : 4;
    return new VaeConfig(scaling, (float) vae.number("shift_factor", 0.0), vae.integer("latent_channels", 4),
        1 << Math.max(0, levels - 1), floats(vae, "latents_mean"), floats(vae, "latents_std"),
        vae.bool("force_upcast", true));
  }

  private static float[] floats(ManifestJson json, String field) {
    if (!json.has(field)) {
      return new float[0];
    }
    var node = json.node().get(field);
    if (!node.isArray()) {
      throw json.error(field, "expected a list of numbers, found " + node);
    }
    float[] out = new float[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) node.get(i).asDouble();
    }
    return out;
  }

  /** Hex sha256 over model_index.json and each listed component's JSON config files, in path order. */
  static String digest(Path dir, Set<String> components) {
    Map<String, Path> files = new TreeMap<>();
    files.put(MODEL_INDEX, dir.resolve(MODEL_INDEX));
    for (String component : components) {
      for (String folder : component.equals("vae") ? List.of("vae_decoder", "vae_encoder") : List.of(component)) {
        for (String name : List.of("config.json", "scheduler_config.json", "tokenizer_config.json",
            "special_tokens_map.json", "preprocessor_config.json")) {
          Path file = dir.resolve(folder).resolve(name);
          if (Files.isRegularFile(file)) {
            files.put(folder + "/" + name, file);
          }
        }
      }
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, Path> e : files.entrySet()) {
        sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(Files.readAllBytes(e.getValue()));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The pack id: {@code inkflow.json}'s, else the family and the first 12 hex digits of the digest. */
  public String packId() {
    return options.id().orElse(family.id() + "-" + digest.substring(0, 12));
  }

  /** The pack version: {@code inkflow.json}'s, else the export's diffusers version, else {@code export}. */
  public String packVersion() {
    return options.version().orElse(diffusersVersion.isEmpty() ? "export" : diffusersVersion);
  }

  /** The side of the square the denoiser was trained at, in pixels. */
  public int baseResolution() {
    return (unet != null ? unet.sampleSize() : transformer.sampleSize()) * vae.scaleFactor();
  }

  /**
   * Pixels every size must be a multiple of: the UNet's down-sampling, or the VAE's factor times the
   * transformer's patch (2 for Flux, whose pipeline packs 2x2 latent cells into a token).
   */
  public int sizeUnit() {
    if (unet != null) {
      return Math.max(unet.sizeUnit(), vae.scaleFactor());
    }
    return vae.scaleFactor() * (family == Family.FLUX ? 2 : transformer.patchSize());
  }

  /**
   * T5 tokens per prompt: {@code inkflow.json}'s {@code t5MaxLength}, else the pipeline's default
   * {@code max_sequence_length} (SD3 256, FLUX.1-schnell 256, FLUX.1-dev 512).
   */
  public int t5MaxLength() {
    if (options.t5MaxLength() > 0) {
      return options.t5MaxLength();
    }
    return family == Family.FLUX && transformer.guidanceEmbeds() ? 512 : 256;
  }

  /** The T5 tokenizer's folder, when the export has a T5 encoder. */
  public Optional<Path> t5Tokenizer() {
    for (int i = 0; i < textEncoders.size(); i++) {
      if (textEncoders.get(i).t5()) {
        return Optional.of(tokenizers.get(i));
      }
    }
    return Optional.empty();
  }

  /** Whether the export carries a T5 encoder (SD3 may leave it out; Flux never does). */
  public boolean hasT5() {
    return textEncoders.stream().anyMatch(TextEncoderConfig::t5);
  }

  /**
   * The sizes generated at: {@code inkflow.json}'s, else the trained square and six aspect ratios of
   * about its area (4:3, 3:4, 3:2, 2:3, 16:9, 9:16), each side a multiple of the UNet's size unit.
   */
  public List<Bucket> buckets() {
    if (!options.buckets().isEmpty()) {
      return options.buckets();
    }
    int base = baseResolution();
    int unit = sizeUnit();
    List<Bucket> out = new ArrayList<>();
    out.add(new Bucket(base, base));
    double[][] ratios = {{4, 3}, {3, 4}, {3, 2}, {2, 3}, {16, 9}, {9, 16}};
    for (double[] r : ratios) {
      double aspect = r[0] / r[1];
      int w = (int) Math.max(unit, Math.round(base * Math.sqrt(aspect) / unit) * unit);
      int h = (int) Math.max(unit, Math.round(base / Math.sqrt(aspect) / unit) * unit);
      Bucket b = new Bucket(w, h);
      if (!out.contains(b)) {
        out.add(b);
      }
    }
    return List.copyOf(out);
  }

  /**
   * The scheduler config the pack runs with: the export's {@code scheduler_config.json}, re-targeted
   * to the class {@code inkflow.json} names (keeping betas and spacing, as diffusers' {@code
   * from_config}), with {@code inkflow.json}'s overrides on top. Reads no session, so the PE stream
   * records it on jobs.
   *
   * @throws PackException when the class is not supported, naming the supported ones
   */
  public SchedulerConfig scheduler() {
    SchedulerConfig config;
    try {
      config = SchedulerConfig.read(schedulerConfig);
      if (options.schedulerClass().isPresent()) {
        config = config.withClassName(options.schedulerClass().get());
      }
      if (!options.schedulerOverrides().isEmpty()) {
        Map<String, Object> merged = new LinkedHashMap<>(config.given());
        merged.putAll(SchedulerConfig.parse("{\"_class_name\": \"" + config.className() + "\", "
            + options.schedulerOverrides().substring(1)).given());
        config = new SchedulerConfig(config.className(), merged);
      }
      config.effective();
    } catch (IllegalArgumentException e) {
      throw new PackException(dir + ": scheduler: " + e.getMessage()
          + (options.schedulerClass().isEmpty() && !SchedulerConfig.supportedClasses().contains(schedulerClass)
              ? "; choose one with scheduler.className in " + dir.resolve(PackOptions.FILE_NAME) : ""), e);
    }
    return config;
  }

  /** How jobs and PNGs record a scheduler: class, spacing, prediction type, shift, and what it replaced. */
  public String describeScheduler(SchedulerConfig config) {
    Map<String, Object> effective = config.effective();
    String spacing = effective.containsKey("timestep_spacing") ? " timestep_spacing=" + config.timestepSpacing() : "";
    String prediction = effective.containsKey("prediction_type") ? " prediction_type=" + config.predictionType() : "";
    String shift = effective.containsKey("shift") ? " shift=" + effective.get("shift") : "";
    String replaced = config.className().equals(schedulerClass) ? "" : " (replacing " + schedulerClass + ")";
    return config.className() + spacing + prediction + shift + replaced;
  }
}
