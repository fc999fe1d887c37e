package io.inkflow.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.image.ClipImageProcessor;
import io.inkflow.inference.image.PreprocessorConfig;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.Dimension;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.TensorSpec;
import io.inkflow.inference.pack.TensorType;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import io.inkflow.inference.text.ClipTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One CLIP export folder of a reward pack, laid out as Optimum writes it: either one {@code model.onnx} (a
 * {@code CLIPModel}, {@code CLIPOnnxConfig}: {@code input_ids}, {@code pixel_values} and, in most exports,
 * {@code attention_mask} in; {@code text_embeds} and {@code image_embeds} out, beside logits this class does not
 * read), or the split {@code text_model.onnx} ({@code input_ids}, optional {@code attention_mask} to
 * {@code text_embeds}) and {@code vision_model.onnx} ({@code pixel_values} to {@code image_embeds}); with the CLIP
 * tokenizer's files and {@code preprocessor_config.json} beside them.
 *
 * <p>Inputs and outputs are read from the sessions and checked when the folder is opened: names, element types
 * (float32 or float16 pixels and embeddings, int64 or int32 ids), ranks, no input this class cannot feed, and the
 * fixed sizes that must agree with the folder's other files (crop size, sequence length, embedding width). Prompts
 * are tokenized to 77 ids (SOT, content, EOT, the tokenizer's pad id) with the mask over SOT..EOT: CLIP's text
 * tower is causal and pools at EOT, so this gives the embeddings of PickScore's pad-to-longest and of open_clip's
 * zero padding alike. Embeddings come back L2-normalised. Owns its sessions; thread-safe.
 */
final class ClipExport implements AutoCloseable {
  static final String MODEL = "model.onnx";
  static final String TEXT_MODEL = "text_model.onnx";
  static final String VISION_MODEL = "vision_model.onnx";
  static final String PREPROCESSOR = "preprocessor_config.json";
  static final String PIXEL_VALUES = "pixel_values";
  static final String INPUT_IDS = "input_ids";
  static final String ATTENTION_MASK = "attention_mask";
  static final String TEXT_EMBEDS = "text_embeds";
  static final String IMAGE_EMBEDS = "image_embeds";

  private static final Set<TensorType> FLOATS = Set.of(TensorType.FLOAT32, TensorType.FLOAT16);
  private static final Set<TensorType> IDS = Set.of(TensorType.INT64, TensorType.INT32);

  private final String label;
  /** {@code model.onnx}, or null for the split layout. */
  private final GraphSession model;
  /** {@code text_model.onnx} of the split layout, or null (one graph, or no text asked for). */
  private final GraphSession text;
  /** {@code vision_model.onnx} of the split layout, or null. */
  private final GraphSession vision;
  private final ClipImageProcessor processor;
  private final int height;
  private final int width;
  /** Null when the export is opened for image embeddings alone and has no text input to feed. */
  private final ClipTokenizer tokenizer;
  private final TensorType pixelType;
  private final TensorType idsType;
  /** Null when the graph has no {@code attention_mask} input. */
  private final TensorType maskType;
  /** The width of {@code image_embeds} when the graph fixes it, else -1. */
  private final long imageWidth;

  private ClipExport(String label, GraphSession model, GraphSession text, GraphSession vision,
      ClipImageProcessor processor, int height, int width, ClipTokenizer tokenizer, TensorType pixelType,
      TensorType idsType, TensorType maskType, long imageWidth) {
    this.label = label;
    this.model = model;
    this.text = text;
    this.vision = vision;
    this.processor = processor;
    this.height = height;
    this.width = width;
    this.tokenizer = tokenizer;
    this.pixelType = pixelType;
    this.idsType = idsType;
    this.maskType = maskType;
    this.imageWidth = imageWidth;
  }

  /**
   * Opens and checks an export folder.
   *
   * @param folder the folder, relative to the pack
   * @param withText whether prompts will be embedded (alignment); without, a split export needs no text graph
   * @throws PackException naming the file, what was expected and what was found; nothing stays open
   */
  static ClipExport open(SessionFactory factory, String packId, Path packDir, String folder, boolean withText) {
    String label = packId + "/" + folder;
    Path dir = packDir.resolve(folder);
    if (!Files.isDirectory(dir)) {
      throw new PackException(label + ": expected the CLIP export folder " + dir + ", found no such folder");
    }
    boolean single = Files.isRegularFile(dir.resolve(MODEL));
    if (!single && !Files.isRegularFile(dir.resolve(VISION_MODEL))) {
      throw new PackException(label + ": expected " + MODEL + " (one graph) or " + TEXT_MODEL + " and "
          + VISION_MODEL + " (split) in " + dir + ", found " + listing(dir));
    }
    if (!single && withText && !Files.isRegularFile(dir.resolve(TEXT_MODEL))) {
      throw new PackException(label + ": expected " + TEXT_MODEL + " beside " + VISION_MODEL + " in " + dir
          + " (alignment embeds prompts), found " + listing(dir));
    }
    Path configFile = dir.resolve(PREPROCESSOR);
    PreprocessorConfig config = preprocessor(label, configFile);
    if (!config.doCenterCrop() && (!config.doResize() || config.size().keepsAspect())) {
      throw new PackException(label + ": " + configFile + ": expected pixel_values of one size for every image"
          + " (do_center_crop, or do_resize to a height and width), found no crop and a size "
          + (config.doResize() ? "that keeps the aspect ratio" : "left as the image's"));
    }
    int height = config.doCenterCrop() ? config.cropHeight() : config.size().height();
    int width = config.doCenterCrop() ? config.cropWidth() : config.size().width();
    ClipTokenizer tokenizer = single || withText ? ClipTokenizer.open(dir) : null;

    List<GraphSession> opened = new ArrayList<>();
    try {
      GraphSession model = null;
      GraphSession text = null;
      GraphSession vision = null;
      GraphSession textGraph;
      GraphSession visionGraph;
      if (single) {
        model = add(opened, GraphSession.openDiscovered(factory, label + "/model", dir.resolve(MODEL)));
        textGraph = model;
        visionGraph = model;
      } else {
        vision = add(opened, GraphSession.openDiscovered(factory, label + "/vision_model", dir.resolve(VISION_MODEL)));
        text = withText
            ? add(opened, GraphSession.openDiscovered(factory, label + "/text_model", dir.resolve(TEXT_MODEL)))
            : null;
        textGraph = text;
        visionGraph = vision;
      }
      TensorSpec pixels = visionGraph.requireInput(PIXEL_VALUES, FLOATS, Set.of(4));
      TensorSpec imageEmbeds = visionGraph.requireOutput(IMAGE_EMBEDS, FLOATS, Set.of(2));
      checkDimension(visionGraph, pixels, 1, 3, "RGB channels");
      checkDimension(visionGraph, pixels, 2, height, "the crop height of " + configFile);
      checkDimension(visionGraph, pixels, 3, width, "the crop width of " + configFile);
      TensorType idsType = null;
      TensorType maskType = null;
      if (textGraph != null) {
        TensorSpec ids = textGraph.requireInput(INPUT_IDS, IDS, Set.of(2));
        checkDimension(textGraph, ids, 1, tokenizer.maxLength(), "the tokenizer's length in " + dir);
        idsType = ids.type();
        if (textGraph.spec().input(ATTENTION_MASK).isPresent()) {
          maskType = textGraph.requireInput(ATTENTION_MASK, IDS, Set.of(2)).type();
        }
        TensorSpec textEmbeds = textGraph.requireOutput(TEXT_EMBEDS, FLOATS, Set.of(2));
        Dimension t = textEmbeds.shape().get(1);
        Dimension i = imageEmbeds.shape().get(1);
        if (t.isFixed() && i.isFixed() && t.size() != i.size()) {
          throw new PackException(label + ": expected text_embeds and image_embeds of one width, found " + textEmbeds
              + " in " + textGraph.spec().file() + " and " + imageEmbeds + " in " + visionGraph.spec().file());
        }
      }
      checkInputs(visionGraph, single ? Set.of(PIXEL_VALUES, INPUT_IDS, ATTENTION_MASK) : Set.of(PIXEL_VALUES));
      if (text != null) {
        checkInputs(text, Set.of(INPUT_IDS, ATTENTION_MASK));
      }
      return new ClipExport(label, model, text, vision, new ClipImageProcessor(config), height, width, tokenizer,
          pixels.type(), idsType, maskType, imageEmbeds.shape().get(1).size());
    } catch (RuntimeException e) {
      Collections.reverse(opened);
      for (GraphSession g : opened) {
        try {
          g.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private static GraphSession add(List<GraphSession> opened, GraphSession graph) {
    opened.add(graph);
    return graph;
  }

  private static PreprocessorConfig preprocessor(String label, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new PackException(label + ": expected " + file + " (the export's image preprocessing), found no such file");
    }
    try {
      return PreprocessorConfig.read(file);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new PackException(label + ": " + e.getMessage(), e);
    }
  }

  private static void checkDimension(GraphSession graph, TensorSpec tensor, int axis, long expected, String what) {
    Dimension d = tensor.shape().get(axis);
    if (d.isFixed() && d.size() != expected) {
      throw new PackException(graph.label() + ": expected dimension " + axis + " of '" + tensor.name() + "' to be "
          + expected + " (" + what + "), found " + tensor + " in " + graph.spec().file());
    }
  }

  /** Every input of the graph must be one this class feeds: ONNX Runtime refuses a run that leaves one out. */
  private static void checkInputs(GraphSession graph, Set<String> fed) {
    Set<String> extra = graph.spec().inputs().stream().map(TensorSpec::name).filter(n -> !fed.contains(n))
        .collect(Collectors.toCollection(TreeSet::new));
    if (!extra.isEmpty()) {
      throw new PackException(graph.label() + ": expected inputs among " + new TreeSet<>(fed) + ", found also "
          + extra + " in " + graph.spec().file());
    }
  }

  private static String listing(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      return names.isEmpty() ? "an empty folder" : names.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** e.g. {@code tiny-clip-reward/clip}. */
  String label() {
    return label;
  }

  /** The width of {@code image_embeds} when the graph fixes it, else -1. */
  long imageWidth() {
    return imageWidth;
  }

  /**
   * L2-normalised embeddings, row after row.
   *
   * @param images [images, width]
   * @param texts [texts, width]; empty when no texts were given
   * @param width the embedding width
   */
  record Embeddings(float[] images, float[] texts, int width) {}

  /**
   * Embeds images and texts: one run of {@code model.onnx}, or one of each split graph (the text graph only when
   * there are texts).
   *
   * @param texts prompts; empty for image embeddings alone
   */
  Embeddings embed(List<RgbImage> images, List<String> texts) throws OrtException {
    if (images.isEmpty()) {
      throw new IllegalArgumentException(label + ": expected at least one image, found none");
    }
    if (!texts.isEmpty() && tokenizer == null) {
      throw new IllegalStateException(label + ": opened for image embeddings alone, asked to embed " + texts.size()
          + " texts");
    }
    int plane = 3 * height * width;
    float[] pixels = new float[images.size() * plane];
    for (int i = 0; i < images.size(); i++) {
      processor.preprocess(images.get(i), pixels, i * plane);
    }
    long[] pixelShape = {images.size(), 3, height, width};
    if (model != null) {
      // model.onnx always wants prompts: embedding images alone feeds it the empty prompt and drops its row.
      List<String> fed = texts.isEmpty() ? List.of("") : texts;
      try (OnnxTensor pixelTensor = Tensors.floats(model.environment(), pixels, pixelShape, pixelType);
          TextInputs prompts = textInputs(model, fed)) {
        Map<String, OnnxTensor> inputs = new HashMap<>(prompts.tensors());
        inputs.put(PIXEL_VALUES, pixelTensor);
        try (OrtSession.Result result = model.run(inputs, Set.of(IMAGE_EMBEDS, TEXT_EMBEDS))) {
          float[] imageEmbeds = read(model, result, IMAGE_EMBEDS, images.size());
          float[] textEmbeds = read(model, result, TEXT_EMBEDS, fed.size());
          int w = imageEmbeds.length / images.size();
          checkWidths(w, textEmbeds.length / fed.size());
          return new Embeddings(imageEmbeds, texts.isEmpty() ? new float[0] : textEmbeds, w);
        }
      }
    }
    float[] imageEmbeds;
    try (OnnxTensor pixelTensor = Tensors.floats(vision.environment(), pixels, pixelShape, pixelType);
        OrtSession.Result result = vision.run(Map.of(PIXEL_VALUES, pixelTensor), Set.of(IMAGE_EMBEDS))) {
      imageEmbeds = read(vision, result, IMAGE_EMBEDS, images.size());
    }
    int w = imageEmbeds.length / images.size();
    if (texts.isEmpty()) {
      return new Embeddings(imageEmbeds, new float[0], w);
    }
    try (TextInputs prompts = textInputs(text, texts);
        OrtSession.Result result = text.run(prompts.tensors(), Set.of(TEXT_EMBEDS))) {
      float[] textEmbeds = read(text, result, TEXT_EMBEDS, texts.size());
      checkWidths(w, textEmbeds.length / texts.size());
      return new Embeddings(imageEmbeds, textEmbeds, w);
    }
  }

  private void checkWidths(int imageWidth, int textWidth) {
    if (imageWidth != textWidth) {
      throw new PackException(label + ": expected text_embeds and image_embeds of one width, found " + textWidth
          + " and " + imageWidth);
    }
  }

  /** The ids (and mask, when the graph takes one) of a batch of prompts; closes its tensors together. */
  private record TextInputs(Map<String, OnnxTensor> tensors) implements AutoCloseable {
    @Override
    public void close() {
      tensors.values().forEach(OnnxTensor::close);
    }
  }

  private TextInputs textInputs(GraphSession graph, List<String> texts) throws OrtException {
    int length = tokenizer.maxLength();
    long[] ids = new long[texts.size() * length];
    long[] mask = new long[texts.size() * length];
    for (int row = 0; row < texts.size(); row++) {
      ClipTokenizer.Encoded e = tokenizer.encodePadded(texts.get(row));
      for (int i = 0; i < length; i++) {
        ids[row * length + i] = e.ids()[i];
        mask[row * length + i] = e.attentionMask()[i];
      }
    }
    long[] shape = {texts.size(), length};
    Map<String, OnnxTensor> tensors = new HashMap<>();
    try {
      tensors.put(INPUT_IDS, ids(graph, idsType, ids, shape));
      if (maskType != null) {
        tensors.put(ATTENTION_MASK, ids(graph, maskType, mask, shape));
      }
      return new TextInputs(tensors);
    } catch (OrtException | RuntimeException e) {
      tensors.values().forEach(OnnxTensor::close);
      throw e;
    }
  }

  private static OnnxTensor ids(GraphSession graph, TensorType type, long[] values, long[] shape) throws OrtException {
    return type == TensorType.INT64 ? Tensors.longs(graph.environment(), values, shape)
        : Tensors.ints(graph.environment(), values, shape);
  }

  /** An embeddings output [rows, P], checked and L2-normalised row by row (a zero row stays zero). */
  private static float[] read(GraphSession graph, OrtSession.Result result, String name, int rows) {
    OnnxTensor tensor = (OnnxTensor) result.get(name).orElseThrow();
    long[] shape = tensor.getInfo().getShape();
    if (shape.length != 2 || shape[0] != rows || shape[1] <= 0) {
      throw new PackException(graph.label() + ": expected " + name + " [" + rows + ", P], found "
          + Arrays.toString(shape));
    }
    float[] values = Tensors.toFloats(tensor);
    int w = Math.toIntExact(shape[1]);
    for (int r = 0; r < rows; r++) {
      double sum = 0;
      for (int i = r * w; i < (r + 1) * w; i++) {
        sum += (double) values[i] * values[i];
      }
      double norm = Math.sqrt(sum);
      if (norm > 0) {
        for (int i = r * w; i < (r + 1) * w; i++) {
          values[i] = (float) (values[i] / norm);
        }
      }
    }
    return values;
  }

  /** Closes the text and vision graphs, or the one graph. */
  @Override
  public void close() {
    RuntimeException failure = null;
    for (GraphSession g : Arrays.asList(text, vision, model)) {
      if (g == null) {
        continue;
      }
      try {
        g.close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
