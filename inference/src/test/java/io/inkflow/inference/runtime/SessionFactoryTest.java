package io.inkflow.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.inference.diffusion.ImageRequest;
import io.inkflow.inference.diffusion.TextToImagePipeline;
import io.inkflow.inference.testing.TestPacks;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;

class SessionFactoryTest {

  @Test
  void cpuIsUsedAsAsked() {
    SessionFactory factory = new SessionFactory(SessionOptionsConfig.cpu());
    assertThat(factory.provider()).isEqualTo(ExecutionProvider.CPU);
    assertThat(factory.fallbackReason()).isEmpty();
  }

  /** On a machine without CUDA (the CPU build, or no GPU) asking for CUDA falls back to CPU, with the reason. */
  @Test
  @DisabledIfSystemProperty(named = "inkflow.cuda", matches = "1")
  void cudaFallsBackToCpuWithTheReasonWhenUnavailable() {
    SessionFactory factory = new SessionFactory(SessionOptionsConfig.cuda(0));
    assertThat(factory.provider()).isEqualTo(ExecutionProvider.CPU);
    assertThat(factory.fallbackReason()).hasValueSatisfying(reason -> assertThat(reason).isNotBlank());
    // probed once per process: a second factory reuses the verdict
    assertThat(new SessionFactory(SessionOptionsConfig.cuda(0)).fallbackReason()).isEqualTo(factory.fallbackReason());
    try (TextToImagePipeline pipeline = TextToImagePipeline.open(TestPacks.mmdit(), SessionOptionsConfig.cuda(0))) {
      assertThat(pipeline.executionProvider()).isEqualTo(ExecutionProvider.CPU);
      assertThat(pipeline.generate(List.of(ImageRequest.of("a cat", 256, 256, 1, 4.5, 1)))).hasSize(1);
    }
  }

  @Test
  void configIsRangeCheckedAndParsesAliases() {
    assertThatThrownBy(() -> SessionOptionsConfig.cpu().withIntraOpThreads(-1))
        .hasMessage("expected 0 <= intraOpThreads <= 1024, found -1");
    assertThatThrownBy(() -> SessionOptionsConfig.cuda(-2)).hasMessage("expected deviceId >= 0, found -2");
    assertThat(ExecutionProvider.parse(" GPU ")).isEqualTo(ExecutionProvider.CUDA);
    assertThat(ExecutionProvider.parse("cpu")).isEqualTo(ExecutionProvider.CPU);
    assertThat(OptimizationLevel.parse("ALL_OPT")).isEqualTo(OptimizationLevel.ALL);
    assertThat(OptimizationLevel.parse("no_opt")).isEqualTo(OptimizationLevel.NONE);
    assertThatThrownBy(() -> ExecutionProvider.parse("tpu")).hasMessage("expected cpu or cuda, found 'tpu'");
  }

  @Test
  void everyOptimisationLevelAndThreadSettingLoadsThePack() {
    for (OptimizationLevel level : OptimizationLevel.values()) {
      SessionOptionsConfig config = SessionOptionsConfig.cpu().withOptimizationLevel(level).withIntraOpThreads(1)
          .withSpinWait(false);
      try (TextToImagePipeline pipeline = TextToImagePipeline.open(TestPacks.mmdit(), config)) {
        assertThat(pipeline.render(List.of(ImageRequest.of("x", 256, 256, 1, 4.5, 1)))).hasSize(1);
      }
    }
  }
}
