package io.inkflow.inference.diffusion;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.inference.runtime.GraphSession;
import io.inkflow.inference.runtime.SessionOptionsConfig;
import io.inkflow.inference.testing.TestPacks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Native memory does not grow with use: tensors and results are closed, pinned outputs are freed.
 * 200 batches (2 images, smallest bucket, 1 step, PNG included) after a warm-up may grow the
 * process's resident set by at most 32 MB; a leak of one latent tensor per call would exceed it.
 */
@EnabledOnOs(OS.LINUX)
class NativeMemoryTest {
  private static final Logger LOG = LoggerFactory.getLogger(NativeMemoryTest.class);

  @Test
  void residentSetStaysFlatOver200Batches() throws IOException {
    int sessions = GraphSession.liveSessions();
    try (TextToImagePipeline pipeline = TextToImagePipeline.open(TestPacks.mmdit(), SessionOptionsConfig.cpu())) {
      List<ImageRequest> batch = List.of(
          ImageRequest.of("a red circle", 256, 256, 1, 4.5, 1).withGlyphTexts(List.of("SALE")),
          ImageRequest.of("蓝色背景", 256, 256, 1, 4.5, 2));
      for (int i = 0; i < 30; i++) {
        pipeline.generate(batch);
      }
      System.gc();
      long before = residentKb();
      for (int i = 0; i < 200; i++) {
        assertThat(pipeline.generate(batch)).hasSize(2);
      }
      System.gc();
      long after = residentKb();
      LOG.info("RSS before {} MB, after 200 batches {} MB, growth {} MB", before / 1024, after / 1024,
          (after - before) / 1024.0);
      assertThat(after - before).as("RSS growth in kB").isLessThanOrEqualTo(32 * 1024);
    }
    assertThat(GraphSession.liveSessions()).isEqualTo(sessions);
  }

  static long residentKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS in /proc/self/status");
  }
}
