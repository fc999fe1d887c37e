package io.inkflow.inference.image;

import static io.inkflow.inference.image.ClipPreprocessReference.index;
import static io.inkflow.inference.image.ClipPreprocessReference.pixelValues;
import static io.inkflow.inference.image.ClipPreprocessReference.png;
import static io.inkflow.inference.image.ClipPreprocessReference.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ClipImageProcessor} against {@code pixel_values} computed by transformers' own {@code CLIPImageProcessor}
 * (4.57.6, Pillow 9.4.0; {@link ClipPreprocessReference}). The resize is 8-bit integer arithmetic and rescale +
 * normalise are two float32 operations per value, so the reference's tolerance is none: the resized images and
 * {@code pixel_values} must be identical, bit for bit.
 */
class ClipImageProcessorTest {
  private static final Logger LOG = LoggerFactory.getLogger(ClipImageProcessorTest.class);
  private static final ClipImageProcessor CLIP = ClipImageProcessor.clipDefaults();

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (JsonNode c : index().get("cases")) {
      out.add(Arguments.of(c.get("name").asText(), c));
    }
    assertThat(out).hasSize(6);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesTransformersBitForBit(String name, JsonNode c) {
    RgbImage image = png(c.get("png").asText());
    assertThat(new int[] {image.width(), image.height()}).containsExactly(ints(c.get("input_size_wh")));
    // The decoder drops alpha as PIL's convert("RGB") does: these are the bytes the processor's resize received.
    assertThat(sha256(image.rgb()))
        .isEqualTo(c.get("after_convert_to_rgb_sha256 (RGB uint8 HWC, what resize receives)").asText());

    RgbImage resized = CLIP.resize(image);
    assertThat(new int[] {resized.height(), resized.width()}).containsExactly(ints(c.get("resize_output_hw")));
    RgbImage expectedResized = png(c.get("resized_png").asText());
    int resizeError = maxAbsDifference(resized.rgb(), expectedResized.rgb());
    assertThat(resized.rgb()).as("resized, max |difference| %d levels", resizeError).isEqualTo(expectedResized.rgb());
    assertThat(sha256(resized.rgb())).isEqualTo(c.get("resized_raw_sha256 (uint8 HWC C-order)").asText());

    int top = Math.floorDiv(resized.height() - 224, 2);
    int left = Math.floorDiv(resized.width() - 224, 2);
    assertThat(new int[] {top, left}).containsExactly(ints(c.get("center_crop_top_left")));
    assertThat(sha256(BicubicResizeTest.crop(resized, left, top, 224, 224)))
        .isEqualTo(c.get("cropped_raw_sha256 (uint8 HWC C-order)").asText());

    JsonNode ref = c.get("pixel_values");
    assertThat(ints(ref.get("shape"))).containsExactly(3, CLIP.outputHeight(image), CLIP.outputWidth(image));
    float[] expected = pixelValues(ref);
    float[] actual = CLIP.preprocess(image);
    double maxError = maxAbsDifference(actual, expected);
    LOG.info("{}: resized {}x{} max |difference| {} levels; pixel_values max |difference| {}", name,
        resized.width(), resized.height(), resizeError, maxError);
    assertThat(maxError).isZero();
    assertThat(bits(actual)).isEqualTo(bits(expected));
    assertThat(sha256(littleEndian(actual))).isEqualTo(ref.get("sha256_of_raw_bytes").asText());
  }

  @Test
  void everyLevelNormalisesAsNumpyDoes() {
    JsonNode lut = index().get("normalize_lut").get("lut");
    for (int c = 0; c < 3; c++) {
      for (int v = 0; v < 256; v++) {
        float expected = Float.parseFloat(lut.get(c).get(v).asText());
        assertThat(CLIP.value(c, v)).as("channel %d level %d", c, v).isEqualTo(expected);
      }
    }
  }

  /**
   * The README's warning, shown: torch's non-antialiased bicubic (4 taps, a = -0.75, however much it shrinks) is
   * far from Pillow's on the high-frequency image; the reference measured 134 levels and 2.01 in pixel_values.
   */
  @Test
  void aNonAntialiasedBicubicIsMeasurablyWrong() {
    RgbImage image = png("hf_1000x300.png");
    RgbImage expectedResized = png("hf_1000x300.resized.png");
    JsonNode measured = index().get("antialias_comparison_1000x300").get("torch_interpolate_bicubic_antialias_False");

    RgbImage plain = plainBicubic(image, 746, 224);
    int resizeError = maxAbsDifference(plain.rgb(), expectedResized.rgb());
    float[] plainValues = normalise(BicubicResizeTest.crop(plain, 261, 0, 224, 224), 224, 224);
    JsonNode hf = index().get("cases").get(0);
    assertThat(hf.get("name").asText()).isEqualTo("hf_1000x300");
    float[] expected = pixelValues(hf.get("pixel_values"));
    double valueError = maxAbsDifference(plainValues, expected);
    int processorResizeError = maxAbsDifference(CLIP.resize(image).rgb(), expectedResized.rgb());
    double processorValueError = maxAbsDifference(CLIP.preprocess(image), expected);
    LOG.info("non-antialiased bicubic on hf_1000x300: max |difference| {} levels, pixel_values {} (the reference"
        + " measured {} and {} with torch); the processor: {} levels, pixel_values {}", resizeError, valueError,
        measured.get("uint8_max_abs_diff_vs_PIL").asInt(),
        measured.get("pixel_values_max_abs_diff_after_crop_normalize").asDouble(), processorResizeError,
        processorValueError);

    // The emulation above reproduces torch's figures; anything near them is a non-antialiased resize.
    assertThat(resizeError).isEqualTo(measured.get("uint8_max_abs_diff_vs_PIL").asInt()).isGreaterThan(100);
    assertThat(valueError).isCloseTo(measured.get("pixel_values_max_abs_diff_after_crop_normalize").asDouble(),
        within(1e-6)).isGreaterThan(1.0);
    assertThat(processorResizeError).isZero();
    assertThat(processorValueError).isZero();
  }

  @Test
  void configDefaultsAreThoseOfClipImageProcessor() {
    PreprocessorConfig defaults = PreprocessorConfig.clipDefaults();
    assertThat(PreprocessorConfig.parse("{}")).isEqualTo(defaults);
    JsonNode index = index();
    assertThat(PreprocessorConfig.parse(index.get("processor_config_effective").toString())).isEqualTo(defaults);
    // openai/clip-vit-large-patch14's file: size and crop_size as plain integers, no rescale_factor.
    assertThat(PreprocessorConfig.parse(index.get("published_preprocessor_config_used_as_kwargs").toString()))
        .isEqualTo(defaults);
    assertThat(defaults.rescaleFactor()).isEqualTo(index.get("processor_config_effective").get("rescale_factor")
        .asDouble());
  }

  @Test
  void configKeysAreRead() {
    PreprocessorConfig config = PreprocessorConfig.parse("""
        {"do_resize": true, "size": {"height": 336, "width": 300}, "resample": 3, "do_center_crop": false,
         "crop_size": [200, 100], "do_rescale": true, "rescale_factor": 0.5, "do_normalize": false,
         "image_mean": 0.5, "image_std": [1, 2, 3], "do_convert_rgb": false,
         "image_processor_type": "CLIPImageProcessor", "processor_class": "CLIPProcessor"}""");
    assertThat(config).isEqualTo(new PreprocessorConfig(true, PreprocessorConfig.Size.exact(336, 300), 3, false, 200,
        100, true, 0.5, false, List.of(0.5, 0.5, 0.5), List.of(1.0, 2.0, 3.0), false));
    assertThat(PreprocessorConfig.parse("{\"size\": {\"shortest_edge\": 336, \"longest_edge\": 1000},"
        + " \"crop_size\": {\"height\": 336, \"width\": 300}}"))
        .satisfies(c -> assertThat(c.size()).isEqualTo(PreprocessorConfig.Size.shortestEdge(336)))
        .satisfies(c -> assertThat(new int[] {c.cropHeight(), c.cropWidth()}).containsExactly(336, 300));
    assertThat(PreprocessorConfig.parse("{\"size\": [20, 30], \"crop_size\": 10, \"image_mean\": null}"))
        .satisfies(c -> assertThat(c.size()).isEqualTo(PreprocessorConfig.Size.exact(20, 30)))
        .satisfies(c -> assertThat(c.imageMean()).isEqualTo(PreprocessorConfig.CLIP_MEAN));
  }

  @Test
  void badConfigValuesAreRefusedNamingTheKey() {
    String[][] cases = {
        {"{\"do_resize\": \"yes\"}", "do_resize"},
        {"{\"do_center_crop\": null}", "do_center_crop"},
        {"{\"do_normalize\": 1}", "do_normalize"},
        {"{\"size\": {\"longest_edge\": 224}}", "size"},
        {"{\"size\": {\"shortest_edge\": 0}}", "size.shortest_edge"},
        {"{\"size\": 224.5}", "size"},
        {"{\"size\": [224]}", "size"},
        {"{\"resample\": 2}", "resample"},
        {"{\"resample\": null}", "resample"},
        {"{\"crop_size\": {\"shortest_edge\": 224}}", "crop_size"},
        {"{\"crop_size\": -1}", "crop_size"},
        {"{\"rescale_factor\": \"1/255\"}", "rescale_factor"},
        {"{\"rescale_factor\": 0}", "rescale_factor"},
        {"{\"image_mean\": [0.5, 0.5]}", "image_mean"},
        {"{\"image_mean\": \"imagenet\"}", "image_mean"},
        {"{\"image_std\": [0.5, 0, 0.5]}", "image_std"},
        {"{\"do_convert_rgb\": \"true\"}", "do_convert_rgb"},
        {"{\"image_processor_type\": \"SiglipImageProcessor\"}", "image_processor_type"},
        {"{\"feature_extractor_type\": \"ViTFeatureExtractor\"}", "feature_extractor_type"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> PreprocessorConfig.parse(c[0])).as(c[0])
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("preprocessor config key '" + c[1] + "': expected ");
    }
    assertThatThrownBy(() -> PreprocessorConfig.parse("[1, 2]")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("preprocessor config: expected a JSON object, found array");
    assertThatThrownBy(() -> PreprocessorConfig.parse("{\"size\": ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("preprocessor config: expected a JSON object, found unparsable text");
    assertThatThrownBy(() -> PreprocessorConfig.parse("{\"resample\": 2}"))
        .hasMessage("preprocessor config key 'resample': expected 3 (bicubic, the only filter implemented),"
            + " found 2 (bilinear)");
  }

  @Test
  void aConfigFileIsReadAndItsErrorsNameTheFile(@TempDir Path dir) throws IOException {
    Path good = dir.resolve("preprocessor_config.json");
    Files.writeString(good, "{\"crop_size\": 336, \"size\": 336}");
    PreprocessorConfig config = PreprocessorConfig.read(good);
    assertThat(config.size()).isEqualTo(PreprocessorConfig.Size.shortestEdge(336));
    RgbImage image = BicubicResizeTest.random(500, 400, new Random(3));
    assertThat(new ClipImageProcessor(config).preprocess(image)).hasSize(3 * 336 * 336);

    Path bad = dir.resolve("bad.json");
    Files.writeString(bad, "{\"image_std\": [1, 1]}");
    assertThatThrownBy(() -> PreprocessorConfig.read(bad)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(bad + ": preprocessor config key 'image_std': expected 3 finite numbers (R, G, B), none zero,"
            + " found [1.0, 1.0]");
  }

  @Test
  void imagesSmallerThanTheCropArePaddedWithLevelZeroAsTransformersDoes() {
    Random random = new Random(11);
    // Without resizing: 3 wide (padded to 6), 5 high (cropped to 4): both branches of center_crop at once.
    RgbImage small = BicubicResizeTest.random(3, 5, random);
    ClipImageProcessor noResize = new ClipImageProcessor(new PreprocessorConfig(false,
        PreprocessorConfig.Size.shortestEdge(224), 3, true, 4, 6, true, 1.0 / 255, true, PreprocessorConfig.CLIP_MEAN,
        PreprocessorConfig.CLIP_STD, true));
    assertThat(noResize.preprocess(small)).isEqualTo(normalise(transformersCenterCrop(small, 4, 6), 4, 6));

    // A short side of 100 under a 224 crop: resized 125x100, padded on every side.
    ClipImageProcessor shortEdge = new ClipImageProcessor(PreprocessorConfig.parse("{\"size\": 100}"));
    for (RgbImage image : List.of(BicubicResizeTest.random(150, 120, random), BicubicResizeTest.random(7, 9, random),
        BicubicResizeTest.random(1, 3, random))) {
      RgbImage resized = shortEdge.resize(image);
      assertThat(Math.min(resized.width(), resized.height())).isEqualTo(100);
      float[] values = shortEdge.preprocess(image);
      assertThat(values).isEqualTo(normalise(transformersCenterCrop(resized, 224, 224), 224, 224));
      assertThat(values[0]).as("a padded corner is level 0").isEqualTo(CLIP.value(0, 0));
    }
  }

  @Test
  void oneByOneImagesBecomeFlat() {
    RgbImage dot = new RgbImage(1, 1, new byte[] {10, (byte) 200, 30});
    assertThat(CLIP.resizedWidth(dot)).isEqualTo(224);
    assertThat(CLIP.resizedHeight(dot)).isEqualTo(224);
    float[] values = CLIP.preprocess(dot);
    int plane = 224 * 224;
    int[] levels = {10, 200, 30};
    for (int i = 0; i < values.length; i++) {
      assertThat(values[i]).isEqualTo(CLIP.value(i / plane, levels[i / plane]));
    }
  }

  /**
   * 1x4000 resizes to 224x896000 (602 MB as RGB); only the 224x224 crop is computed. A 1-pixel-wide image
   * resizes horizontally to identical columns, so the crop is the long axis resized alone, repeated.
   */
  @Test
  void extremeAspectRatiosResizeOnlyTheCrop() {
    Random random = new Random(5);
    RgbImage tall = BicubicResizeTest.random(1, 4000, random);
    assertThat(CLIP.resizedWidth(tall)).isEqualTo(224);
    assertThat(CLIP.resizedHeight(tall)).isEqualTo(896_000);
    RgbImage column = BicubicResize.resize(tall, 1, 896_000);
    int top = (896_000 - 224) / 2;
    byte[] crop = new byte[224 * 224 * 3];
    for (int y = 0; y < 224; y++) {
      for (int x = 0; x < 224; x++) {
        System.arraycopy(column.rgb(), (top + y) * 3, crop, (y * 224 + x) * 3, 3);
      }
    }
    assertThat(CLIP.preprocess(tall)).isEqualTo(normalise(crop, 224, 224));

    RgbImage wide = BicubicResizeTest.random(4000, 1, random);
    assertThat(CLIP.resizedWidth(wide)).isEqualTo(896_000);
    RgbImage row = BicubicResize.resize(wide, 896_000, 1);
    byte[] wideCrop = new byte[224 * 224 * 3];
    for (int y = 0; y < 224; y++) {
      System.arraycopy(row.rgb(), top * 3, wideCrop, y * 224 * 3, 224 * 3);
    }
    assertThat(CLIP.preprocess(wide)).isEqualTo(normalise(wideCrop, 224, 224));
  }

  @Test
  void theCropEqualsCroppingTheWholeResizedImage() {
    Random random = new Random(13);
    for (int[] size : new int[][] {{517, 300}, {225, 224}, {224, 1000}, {223, 223}, {50, 700}}) {
      RgbImage image = BicubicResizeTest.random(size[0], size[1], random);
      RgbImage resized = CLIP.resize(image);
      int top = Math.floorDiv(resized.height() - 224, 2);
      int left = Math.floorDiv(resized.width() - 224, 2);
      assertThat(CLIP.preprocess(image)).as("%dx%d", size[0], size[1])
          .isEqualTo(normalise(BicubicResizeTest.crop(resized, left, top, 224, 224), 224, 224));
    }
  }

  @Test
  void anExactSizeWithoutCropGivesThatSize() {
    ClipImageProcessor exact = new ClipImageProcessor(PreprocessorConfig.parse(
        "{\"size\": {\"height\": 50, \"width\": 100}, \"do_center_crop\": false}"));
    RgbImage image = BicubicResizeTest.random(300, 301, new Random(17));
    assertThat(exact.outputHeight(image)).isEqualTo(50);
    assertThat(exact.outputWidth(image)).isEqualTo(100);
    assertThat(exact.preprocess(image)).isEqualTo(normalise(BicubicResize.resize(image, 100, 50).rgb(), 50, 100));
  }

  @Test
  void neverMutatesTheInputAndFillsOnlyItsBatchSlot() {
    Random random = new Random(19);
    for (RgbImage image : List.of(BicubicResizeTest.random(257, 130, random), BicubicResizeTest.random(224, 224,
        random), BicubicResizeTest.random(20, 30, random))) {
      byte[] before = image.rgb().clone();
      float[] single = CLIP.preprocess(image);
      CLIP.resize(image);
      float[] batch = new float[2 + 2 * single.length];
      Arrays.fill(batch, Float.NaN);
      CLIP.preprocess(image, batch, 1 + single.length);
      assertThat(image.rgb()).isEqualTo(before);
      assertThat(Arrays.copyOfRange(batch, 1 + single.length, 1 + 2 * single.length)).isEqualTo(single);
      assertThat(Arrays.copyOfRange(batch, 0, 1 + single.length)).containsOnly(Float.NaN);
      assertThat(batch[batch.length - 1]).isNaN();
    }
    assertThatThrownBy(() -> CLIP.preprocess(BicubicResizeTest.random(5, 5, random), new float[100], 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("expected room for 3x224x224 values from offset 0, found an array of 100");
  }

  /** transformers' {@code center_crop} as written (numpy zeros, ceil padding, slice), on uint8 HWC. */
  private static byte[] transformersCenterCrop(RgbImage image, int cropHeight, int cropWidth) {
    int h = image.height();
    int w = image.width();
    int top = Math.floorDiv(h - cropHeight, 2);
    int left = Math.floorDiv(w - cropWidth, 2);
    if (top >= 0 && top + cropHeight <= h && left >= 0 && left + cropWidth <= w) {
      return BicubicResizeTest.crop(image, left, top, cropWidth, cropHeight);
    }
    int newHeight = Math.max(cropHeight, h);
    int newWidth = Math.max(cropWidth, w);
    byte[] padded = new byte[newHeight * newWidth * 3];
    int topPad = (int) Math.ceil((newHeight - h) / 2.0);
    int leftPad = (int) Math.ceil((newWidth - w) / 2.0);
    for (int y = 0; y < h; y++) {
      System.arraycopy(image.rgb(), y * w * 3, padded, ((topPad + y) * newWidth + leftPad) * 3, w * 3);
    }
    top += topPad;
    left += leftPad;
    int y0 = Math.max(0, top);
    int y1 = Math.min(newHeight, top + cropHeight);
    int x0 = Math.max(0, left);
    int x1 = Math.min(newWidth, left + cropWidth);
    assertThat(new int[] {y1 - y0, x1 - x0}).containsExactly(cropHeight, cropWidth);
    return BicubicResizeTest.crop(new RgbImage(newWidth, newHeight, padded), x0, y0, cropWidth, cropHeight);
  }

  /** Rescale, normalise and transpose uint8 HWC to [3, h, w] by the processor's table (checked on its own). */
  private static float[] normalise(byte[] hwc, int height, int width) {
    float[] out = new float[3 * height * width];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < height * width; i++) {
        out[c * height * width + i] = CLIP.value(c, hwc[i * 3 + c] & 0xFF);
      }
    }
    return out;
  }

  /**
   * {@code torch.nn.functional.interpolate(x, mode="bicubic", align_corners=False, antialias=False)} on 0..255
   * floats, then {@code round().clamp(0, 255)}: 4 taps of the a = -0.75 cubic at {@code (i + 0.5) * scale - 0.5},
   * edge pixels repeated, whatever the scale.
   */
  private static RgbImage plainBicubic(RgbImage image, int width, int height) {
    int[] xs = new int[width * 4];
    float[] wx = new float[width * 4];
    taps(image.width(), width, xs, wx);
    int[] ys = new int[height * 4];
    float[] wy = new float[height * 4];
    taps(image.height(), height, ys, wy);
    byte[] out = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        for (int c = 0; c < 3; c++) {
          float sum = 0f;
          for (int j = 0; j < 4; j++) {
            float row = 0f;
            for (int i = 0; i < 4; i++) {
              row += wx[x * 4 + i] * image.level(xs[x * 4 + i], ys[y * 4 + j], c);
            }
            sum += wy[y * 4 + j] * row;
          }
          out[(y * width + x) * 3 + c] = (byte) Math.max(0, Math.min(255, (int) Math.rint(sum)));
        }
      }
    }
    return new RgbImage(width, height, out);
  }

  private static void taps(int in, int out, int[] index, float[] weight) {
    float scale = (float) in / out;
    for (int o = 0; o < out; o++) {
      float real = scale * (o + 0.5f) - 0.5f;
      int base = (int) Math.floor(real);
      float t = real - base;
      float[] w = {cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)};
      for (int i = 0; i < 4; i++) {
        index[o * 4 + i] = Math.max(0, Math.min(in - 1, base - 1 + i));
        weight[o * 4 + i] = w[i];
      }
    }
  }

  private static float cubicNear(float x) {
    float a = -0.75f;
    return ((a + 2) * x - (a + 3)) * x * x + 1;
  }

  private static float cubicFar(float x) {
    float a = -0.75f;
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  }

  private static int maxAbsDifference(byte[] a, byte[] b) {
    assertThat(a).hasSameSizeAs(b);
    int max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
    }
    return max;
  }

  private static double maxAbsDifference(float[] a, float[] b) {
    assertThat(a).hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs((double) a[i] - b[i]));
    }
    return max;
  }

  private static int[] bits(float[] values) {
    int[] out = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = Float.floatToRawIntBits(values[i]);
    }
    return out;
  }

  private static byte[] littleEndian(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
