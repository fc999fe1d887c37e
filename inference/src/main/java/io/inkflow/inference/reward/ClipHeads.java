package io.inkflow.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.inkflow.inference.image.RgbImage;
import io.inkflow.inference.pack.Dimension;
import io.inkflow.inference.pack.GraphSpec;
import io.inkflow.inference.pack.PackException;
import io.inkflow.inference.pack.RewardPackManifest;
import io.inkflow.inference.pack.RewardPackManifest.AestheticKind;
import io.inkflow.inference.pack.RewardPackManifest.AlignmentKind;
import io.inkflow.inference.runtime.Closeables;
import io.inkflow.inference.runtime.GraphContract;
import io.inkflow.inference.runtime.GraphContract.Port;
import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionFactory;
import io.inkflow.inference.runtime.Tensors;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CLIP-based heads of a reward pack. Alignment: the cosine of a CLIP export's image and prompt embeddings, times
 * the pack's logit scale (PickScore's {@code logit_scale.exp() * text_embs @ image_embs.T}, HPS v2's plain cosine).
 * Aesthetic: the pack's MLP over an export's L2-normalised image embedding (the LAION aesthetic predictor). Scores
 * here are raw; {@link RewardModel} maps them by the pack's score maps.
 *
 * <p>Each export is opened once and embeds each image of a batch once, whichever heads read it, and each distinct
 * prompt once. Owns the exports and the MLP session; thread-safe.
 */
final class ClipHeads implements AutoCloseable {
  /** The aesthetic MLP: {@code image_embeds} [N, P] to {@code aesthetic} [N, 1]. */
  static final GraphContract MLP_CONTRACT = new GraphContract(RewardPackManifest.AESTHETIC,
      List.of(Port.floats(ClipExport.IMAGE_EMBEDS, 2)), List.of(Port.floats("aesthetic", 2)));

  private final RewardPackManifest pack;
  /** By folder; one or two (alignment's and the aesthetic MLP's, when they differ). */
  private final Map<String, ClipExport> exports;
  /** Null unless aesthetic is {@link AestheticKind#CLIP_MLP}. */
  private final GraphSession mlp;

  private ClipHeads(RewardPackManifest pack, Map<String, ClipExport> exports, GraphSession mlp) {
    this.pack = pack;
    this.exports = exports;
    this.mlp = mlp;
  }

  /** Whether the pack has a CLIP-based head at all. */
  static boolean needed(RewardPackManifest pack) {
    return pack.alignment().head() == AlignmentKind.CLIP || pack.aesthetic().head() == AestheticKind.CLIP_MLP;
  }

  /**
   * Opens the exports and the MLP the pack's heads name.
   *
   * @throws PackException naming the file or field, what was expected and what was found; nothing stays open
   */
  static ClipHeads open(SessionFactory factory, RewardPackManifest pack) {
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      Map<String, ClipExport> exports = new LinkedHashMap<>();
      String alignmentExport = pack.alignment().head() == AlignmentKind.CLIP ? pack.alignment().export() : null;
      if (alignmentExport != null) {
        exports.put(alignmentExport, add(opened, ClipExport.open(factory, pack.id(), pack.dir(), alignmentExport, true)));
      }
      GraphSession mlp = null;
      if (pack.aesthetic().head() == AestheticKind.CLIP_MLP) {
        String folder = pack.aesthetic().export();
        if (!exports.containsKey(folder)) {
          exports.put(folder, add(opened, ClipExport.open(factory, pack.id(), pack.dir(), folder, false)));
        }
        GraphSpec spec = pack.graph(RewardPackManifest.AESTHETIC);
        mlp = add(opened, GraphSession.open(factory, pack.id(), pack.dir(), spec, MLP_CONTRACT, pack.precision()));
        Dimension in = spec.input(ClipExport.IMAGE_EMBEDS).orElseThrow().shape().get(1);
        long embeds = exports.get(folder).imageWidth();
        if (in.isFixed() && embeds >= 0 && in.size() != embeds) {
          throw new PackException(mlp.label() + ": expected input 'image_embeds' of width " + embeds + " (the "
              + exports.get(folder).label() + " export's image_embeds), found " + spec.input(ClipExport.IMAGE_EMBEDS)
              .orElseThrow() + " in " + spec.file() + ": an MLP trained on another CLIP's embeddings");
        }
        Dimension out = spec.output("aesthetic").orElseThrow().shape().get(1);
        if (out.isFixed() && out.size() != 1) {
          throw new PackException(mlp.label() + ": expected output 'aesthetic' [N, 1] (one rating per image), found "
              + spec.output("aesthetic").orElseThrow() + " in " + spec.file());
        }
      }
      return new ClipHeads(pack, exports, mlp);
    } catch (RuntimeException e) {
      Collections.reverse(opened);
      Closeables.closeAll(opened, e);
      throw e;
    }
  }

  private static <T extends AutoCloseable> T add(List<AutoCloseable> opened, T stage) {
    opened.add(stage);
    return stage;
  }

  /**
   * Raw scores of one batch.
   *
   * @param aesthetic the MLP's rating per image, or null when aesthetic is the pack's own graph
   * @param alignment {@code logitScale * cosine} per (image, prompt) pair, or null when alignment is the own graph
   */
  record Raw(float[] aesthetic, double[] alignment) {}

  /**
   * Scores images and (image, prompt) pairs.
   *
   * @param images the batch's images
   * @param prompts one prompt per pair, repeats allowed (each distinct prompt is embedded once)
   * @param promptImage the image of each pair, an index into {@code images}
   */
  Raw score(List<RgbImage> images, List<String> prompts, int[] promptImage) throws OrtException {
    Map<String, ClipExport.Embeddings> embedded = new LinkedHashMap<>();
    double[] alignment = null;
    if (pack.alignment().head() == AlignmentKind.CLIP) {
      List<String> distinct = new ArrayList<>();
      Map<String, Integer> row = new LinkedHashMap<>();
      int[] promptRow = new int[prompts.size()];
      for (int p = 0; p < prompts.size(); p++) {
        Integer r = row.get(prompts.get(p));
        if (r == null) {
          r = distinct.size();
          row.put(prompts.get(p), r);
          distinct.add(prompts.get(p));
        }
        promptRow[p] = r;
      }
      String folder = pack.alignment().export();
      ClipExport.Embeddings e = exports.get(folder).embed(images, distinct);
      embedded.put(folder, e);
      alignment = new double[prompts.size()];
      double scale = pack.alignment().logitScale();
      int w = e.width();
      for (int p = 0; p < prompts.size(); p++) {
        double dot = 0;
        int image = promptImage[p] * w;
        int text = promptRow[p] * w;
        for (int i = 0; i < w; i++) {
          dot += (double) e.images()[image + i] * e.texts()[text + i];
        }
        alignment[p] = scale * dot;
      }
    }
    float[] aesthetic = null;
    if (mlp != null) {
      String folder = pack.aesthetic().export();
      ClipExport.Embeddings e = embedded.get(folder);
      if (e == null) {
        e = exports.get(folder).embed(images, List.of());
      }
      aesthetic = rate(e);
    }
    return new Raw(aesthetic, alignment);
  }

  private float[] rate(ClipExport.Embeddings e) throws OrtException {
    int rows = e.images().length / e.width();
    try (OnnxTensor input = Tensors.floats(mlp.environment(), e.images(), new long[] {rows, e.width()},
        pack.precision().floatType());
        OrtSession.Result result = mlp.run(Map.of(ClipExport.IMAGE_EMBEDS, input))) {
      float[] out = Tensors.toFloats(result.get("aesthetic").orElseThrow());
      if (out.length != rows) {
        throw new PackException(mlp.label() + ": expected output 'aesthetic' [" + rows + ", 1], found "
            + out.length + " values");
      }
      return out;
    }
  }

  /** Closes the MLP, then the exports in reverse order of opening. */
  @Override
  public void close() {
    List<AutoCloseable> all = new ArrayList<>();
    if (mlp != null) {
      all.add(mlp);
    }
    List<ClipExport> reversed = new ArrayList<>(exports.values());
    Collections.reverse(reversed);
    all.addAll(reversed);
    RuntimeException failure = null;
    for (AutoCloseable c : all) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException(e);
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
