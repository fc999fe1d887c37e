package io.inkflow.inference.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Paths of the committed packs ({@code infra/models}): the tiny random ones and the trained mini ones. */
public final class TestPacks {
  private TestPacks() {}

  public static Path models() {
    String configured = System.getProperty("inkflow.models");
    Path dir = configured != null ? Path.of(configured) : Path.of("..", "infra", "models");
    return dir.toAbsolutePath().normalize();
  }

  public static Path mmdit() {
    return models().resolve("tiny-mmdit-flow");
  }

  public static Path mmditFp16() {
    return models().resolve("tiny-mmdit-flow-fp16");
  }

  public static Path reward() {
    return models().resolve("tiny-reward");
  }

  /** The mmdit-flow pack trained on synthetic bilingual scenes ({@code scripts/models/train_mini_packs.py}). */
  public static Path miniMmdit() {
    return models().resolve("mini-mmdit-flow");
  }

  /** The reward pack trained on the same scenes. */
  public static Path miniReward() {
    return models().resolve("mini-reward");
  }

  /** The mini reward pack's aesthetic and alignment heads with PP-OCR reading text. */
  public static Path miniRewardPpocr() {
    return models().resolve("mini-reward-ppocr");
  }

  /**
   * A reward pack laid out like PickScore's Optimum export (one {@code clip/model.onnx}) with a LAION-shaped
   * aesthetic MLP over its image embeds ({@code scripts/models/make_clip_reward_packs.py}).
   */
  public static Path clipReward() {
    return models().resolve("tiny-clip-reward");
  }

  /** An HPS v2-like split CLIP export for alignment beside tiny-reward's own aesthetic and text graphs. */
  public static Path clipRewardSplit() {
    return models().resolve("tiny-clip-reward-split");
  }

  /** A writable copy of a pack (without its golden folder) for tests that break it. */
  public static Path copy(Path pack, Path target) {
    try {
      Files.walkFileTree(pack, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          if (dir.getFileName().toString().equals("golden")) {
            return FileVisitResult.SKIP_SUBTREE;
          }
          Files.createDirectories(target.resolve(pack.relativize(dir).toString()));
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.copy(file, target.resolve(pack.relativize(file).toString()));
          return FileVisitResult.CONTINUE;
        }
      });
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
