package io.inkflow.inference.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The settings of a transformers / Optimum {@code preprocessor_config.json} that {@code CLIPImageProcessor}
 * reads, with its defaults for absent keys (the ViT-L/14 settings SD's safety checker, IP-Adapter image
 * encoders and CLIP scorers use). Values are checked here, so a {@link ClipImageProcessor} never meets a bad
 * one: a wrong type or range is an {@link IllegalArgumentException} naming the key, what was expected and
 * what was found. Keys the processor does not read ({@code processor_class}, …) are ignored.
 *
 * @param doResize {@code do_resize}
 * @param size {@code size}: the short side, or an exact height and width
 * @param resample {@code resample}, a PIL filter number; only 3 (bicubic) is implemented
 * @param doCenterCrop {@code do_center_crop}
 * @param cropHeight {@code crop_size.height}
 * @param cropWidth {@code crop_size.width}
 * @param doRescale {@code do_rescale}
 * @param rescaleFactor {@code rescale_factor}
 * @param doNormalize {@code do_normalize}
 * @param imageMean {@code image_mean}, one value per channel (R, G, B)
 * @param imageStd {@code image_std}, one value per channel (R, G, B)
 * @param doConvertRgb {@code do_convert_rgb}; an {@link RgbImage} is RGB already, so it changes nothing
 */
public record PreprocessorConfig(boolean doResize, Size size, int resample, boolean doCenterCrop, int cropHeight,
    int cropWidth, boolean doRescale, double rescaleFactor, boolean doNormalize, List<Double> imageMean,
    List<Double> imageStd, boolean doConvertRgb) {

  /** PIL's {@code Image.BICUBIC}. */
  public static final int BICUBIC = 3;
  /** OpenAI CLIP's channel means ({@code OPENAI_CLIP_MEAN}). */
  public static final List<Double> CLIP_MEAN = List.of(0.48145466, 0.4578275, 0.40821073);
  /** OpenAI CLIP's channel standard deviations ({@code OPENAI_CLIP_STD}). */
  public static final List<Double> CLIP_STD = List.of(0.26862954, 0.26130258, 0.27577711);

  static final String DO_RESIZE = "do_resize";
  static final String SIZE = "size";
  static final String RESAMPLE = "resample";
  static final String DO_CENTER_CROP = "do_center_crop";
  static final String CROP_SIZE = "crop_size";
  static final String DO_RESCALE = "do_rescale";
  static final String RESCALE_FACTOR = "rescale_factor";
  static final String DO_NORMALIZE = "do_normalize";
  static final String IMAGE_MEAN = "image_mean";
  static final String IMAGE_STD = "image_std";
  static final String DO_CONVERT_RGB = "do_convert_rgb";

  /**
   * The processor classes whose file this reads. Others (SigLIP, ViT, …) have other defaults and steps, so
   * reading their files with CLIP's would be silently wrong. The fast (torchvision) class's file holds the same
   * keys; this class applies them the PIL way.
   */
  static final Set<String> CLIP_PROCESSORS = Set.of("CLIPImageProcessor", "CLIPImageProcessorFast",
      "CLIPImageProcessorPil", "CLIPFeatureExtractor");

  private static final ObjectMapper JSON = new ObjectMapper();
  /** PIL's filter numbers ({@code PIL.Image.Resampling}), for messages. */
  private static final List<String> FILTERS = List.of("nearest", "lanczos", "bilinear", "bicubic", "box",
      "hamming");

  /**
   * How {@code size} resizes.
   *
   * @param shortestEdge the short side after resizing, the long side keeping the aspect ratio; 0 when
   *     {@code height} and {@code width} are given instead
   * @param height the exact height, or 0
   * @param width the exact width, or 0
   */
  public record Size(int shortestEdge, int height, int width) {
    public Size {
      boolean edge = shortestEdge > 0 && height == 0 && width == 0;
      boolean exact = shortestEdge == 0 && height > 0 && width > 0;
      if (!edge && !exact) {
        throw new IllegalArgumentException(key(SIZE) + ": expected a positive shortest_edge, or a positive"
            + " height and width, found shortest_edge " + shortestEdge + ", height " + height + ", width " + width);
      }
    }

    /** {@code {"shortest_edge": edge}}. */
    public static Size shortestEdge(int edge) {
      return new Size(edge, 0, 0);
    }

    /** {@code {"height": height, "width": width}}. */
    public static Size exact(int height, int width) {
      return new Size(0, height, width);
    }

    /** Whether the aspect ratio is kept ({@code shortest_edge}). */
    public boolean keepsAspect() {
      return shortestEdge > 0;
    }
  }

  public PreprocessorConfig {
    if (size == null) {
      throw new IllegalArgumentException(key(SIZE) + ": expected a size, found null");
    }
    if (resample != BICUBIC) {
      throw new IllegalArgumentException(key(RESAMPLE) + ": expected " + BICUBIC
          + " (bicubic, the only filter implemented), found " + resample
          + (resample >= 0 && resample < FILTERS.size() ? " (" + FILTERS.get(resample) + ")" : ""));
    }
    if (cropHeight <= 0 || cropWidth <= 0) {
      throw new IllegalArgumentException(key(CROP_SIZE) + ": expected a positive height and width, found "
          + cropHeight + "x" + cropWidth);
    }
    if (!Double.isFinite(rescaleFactor) || rescaleFactor <= 0) {
      throw new IllegalArgumentException(key(RESCALE_FACTOR) + ": expected a positive number, found "
          + rescaleFactor);
    }
    imageMean = checkedChannels(IMAGE_MEAN, imageMean, false);
    imageStd = checkedChannels(IMAGE_STD, imageStd, true);
  }

  /** {@code CLIPImageProcessor()}'s defaults: short side 224, bicubic, 224x224 centre crop, 1/255, CLIP mean/std. */
  public static PreprocessorConfig clipDefaults() {
    return new PreprocessorConfig(true, Size.shortestEdge(224), BICUBIC, true, 224, 224, true, 1.0 / 255, true,
        CLIP_MEAN, CLIP_STD, true);
  }

  /** Parses a {@code preprocessor_config.json} document; absent keys (and null sizes, means, stds) are defaults. */
  public static PreprocessorConfig parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("preprocessor config: expected a JSON object, found unparsable text: "
          + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("preprocessor config: expected a JSON object, found "
          + (root == null ? "nothing" : kind(root)));
    }
    for (String typeKey : List.of("image_processor_type", "feature_extractor_type")) {
      JsonNode type = root.get(typeKey);
      if (type != null && !(type.isTextual() && CLIP_PROCESSORS.contains(type.textValue()))) {
        throw new IllegalArgumentException(key(typeKey) + ": expected one of " + new TreeSet<>(CLIP_PROCESSORS)
            + " or no such key, found " + type);
      }
    }
    PreprocessorConfig d = clipDefaults();
    int[] crop = cropSize(root.get(CROP_SIZE), d);
    return new PreprocessorConfig(
        flag(root, DO_RESIZE, d.doResize()),
        size(root.get(SIZE), d.size()),
        root.has(RESAMPLE) ? integer(RESAMPLE, root.get(RESAMPLE)) : d.resample(),
        flag(root, DO_CENTER_CROP, d.doCenterCrop()),
        crop[0],
        crop[1],
        flag(root, DO_RESCALE, d.doRescale()),
        root.has(RESCALE_FACTOR) ? number(RESCALE_FACTOR, root.get(RESCALE_FACTOR)) : d.rescaleFactor(),
        flag(root, DO_NORMALIZE, d.doNormalize()),
        channelList(IMAGE_MEAN, root.get(IMAGE_MEAN), d.imageMean()),
        channelList(IMAGE_STD, root.get(IMAGE_STD), d.imageStd()),
        flag(root, DO_CONVERT_RGB, d.doConvertRgb()));
  }

  /** Reads and parses a {@code preprocessor_config.json} file; messages start with the file. */
  public static PreprocessorConfig read(Path file) {
    try {
      return parse(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read preprocessor config " + file, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  private static boolean flag(JsonNode root, String key, boolean dflt) {
    JsonNode node = root.get(key);
    if (node == null) {
      return dflt;
    }
    if (!node.isBoolean()) {
      throw wrong(key, "true or false", node);
    }
    return node.booleanValue();
  }

  private static int integer(String key, JsonNode node) {
    if (!node.isIntegralNumber() || !node.canConvertToInt()) {
      throw wrong(key, "an integer", node);
    }
    return node.intValue();
  }

  private static int positive(String key, JsonNode node) {
    if (node == null || !node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() <= 0) {
      throw wrong(key, "a positive integer", node);
    }
    return node.intValue();
  }

  private static double number(String key, JsonNode node) {
    if (!node.isNumber()) {
      throw wrong(key, "a number", node);
    }
    return node.doubleValue();
  }

  /** {@code get_size_dict(size, default_to_square=False)}, as {@code CLIPImageProcessor.resize} reads it. */
  private static Size size(JsonNode node, Size dflt) {
    if (node == null || node.isNull()) {
      return dflt;
    }
    if (node.isIntegralNumber()) {
      return Size.shortestEdge(positive(SIZE, node));
    }
    if (node.isArray() && node.size() == 2) {
      return Size.exact(positive(SIZE, node.get(0)), positive(SIZE, node.get(1)));
    }
    if (node.isObject()) {
      Set<String> keys = keys(node);
      // longest_edge is a valid size key, but CLIPImageProcessor.resize reads only shortest_edge.
      if (keys.equals(Set.of("shortest_edge")) || keys.equals(Set.of("shortest_edge", "longest_edge"))) {
        return Size.shortestEdge(positive(SIZE + ".shortest_edge", node.get("shortest_edge")));
      }
      if (keys.equals(Set.of("height", "width"))) {
        return Size.exact(positive(SIZE + ".height", node.get("height")), positive(SIZE + ".width", node.get("width")));
      }
    }
    throw wrong(SIZE, "an integer, [height, width], {\"shortest_edge\": n} or {\"height\": h, \"width\": w}", node);
  }

  /** transformers' {@code get_size_dict(crop_size, default_to_square=True)}: height and width. */
  private static int[] cropSize(JsonNode node, PreprocessorConfig dflt) {
    if (node == null || node.isNull()) {
      return new int[] {dflt.cropHeight(), dflt.cropWidth()};
    }
    if (node.isIntegralNumber()) {
      int side = positive(CROP_SIZE, node);
      return new int[] {side, side};
    }
    if (node.isArray() && node.size() == 2) {
      return new int[] {positive(CROP_SIZE, node.get(0)), positive(CROP_SIZE, node.get(1))};
    }
    if (node.isObject() && keys(node).equals(Set.of("height", "width"))) {
      return new int[] {positive(CROP_SIZE + ".height", node.get("height")),
          positive(CROP_SIZE + ".width", node.get("width"))};
    }
    throw wrong(CROP_SIZE, "an integer, [height, width] or {\"height\": h, \"width\": w}", node);
  }

  /** A number for every channel, or one list of three numbers. */
  private static List<Double> channelList(String key, JsonNode node, List<Double> dflt) {
    if (node == null || node.isNull()) {
      return dflt;
    }
    if (node.isNumber()) {
      return List.of(node.doubleValue(), node.doubleValue(), node.doubleValue());
    }
    if (node.isArray()) {
      List<Double> out = new ArrayList<>();
      for (JsonNode v : node) {
        if (!v.isNumber()) {
          throw wrong(key, "a number or a list of 3 numbers", node);
        }
        out.add(v.doubleValue());
      }
      return out;
    }
    throw wrong(key, "a number or a list of 3 numbers", node);
  }

  private static List<Double> checkedChannels(String key, List<Double> values, boolean nonZero) {
    if (values == null || values.size() != 3 || values.stream().anyMatch(v -> v == null || !Double.isFinite(v)
        || (nonZero && v == 0.0))) {
      throw new IllegalArgumentException(key(key) + ": expected 3 finite numbers (R, G, B)"
          + (nonZero ? ", none zero" : "") + ", found " + values);
    }
    return List.copyOf(values);
  }

  private static Set<String> keys(JsonNode object) {
    Set<String> keys = new TreeSet<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext();) {
      keys.add(it.next());
    }
    return keys;
  }

  private static String kind(JsonNode node) {
    return node.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  /** The start of every message about a key. */
  static String key(String key) {
    return "preprocessor config key '" + key + "'";
  }

  private static IllegalArgumentException wrong(String key, String expected, JsonNode found) {
    return new IllegalArgumentException(key(key) + ": expected " + expected + ", found "
        + (found == null ? "nothing" : found.toString()));
  }
}
