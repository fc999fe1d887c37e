package io.inkflow.bench.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.inkflow.bench.scale.ScaleBench.Calibration;
import io.inkflow.workers.generate.SimulatedAccelerator;
import org.junit.jupiter.api.Test;

class CalibrationTest {

  @Test
  void sdTurboPassesThroughThePublishedPointsOfItsStepCount() {
    SimulatedAccelerator.Latency one = Calibration.of("sd-turbo-512").latency(null);
    assertThat(one.of(1).toNanos()).isCloseTo(38_200_000L, within(1L)); // the line is in whole nanoseconds
    assertThat(one.of(4).toNanos()).isCloseTo(120_200_000L, within(1L)); // the line is in whole nanoseconds
    SimulatedAccelerator.Latency four = Calibration.of("sd-turbo-512").latency(4);
    assertThat(four.of(1).toNanos()).isCloseTo(68_700_000L, within(1L)); // the line is in whole nanoseconds
    assertThat(four.of(4).toNanos()).isCloseTo(192_600_000L, within(1L)); // the line is in whole nanoseconds
    assertThat(Calibration.SD_TURBO_512.pixels).isEqualTo(512);
  }

  @Test
  void sdxlHoldsThirtyStepsAtTwelvePointOneEightIterationsPerSecondPerImage() {
    SimulatedAccelerator.Latency latency = Calibration.of("sdxl-1024-30").latency(null);
    assertThat(latency.of(1).toNanos()).isEqualTo(Math.round(30 / 12.18 * 1e9));
    assertThat(latency.of(1).toMillis()).isEqualTo(2463);
    assertThat(latency.of(4)).isEqualTo(latency.of(1).multipliedBy(4));
    assertThat(4 / (latency.of(4).toNanos() / 1e9)).isBetween(0.4059, 0.4061);
    assertThat(Calibration.SDXL_1024_30.pixels).isEqualTo(1024);
  }

  @Test
  void refusesUnknownNamesAndStepCountsWithoutAPublishedFigure() {
    assertThatThrownBy(() -> Calibration.of("sdxl")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sdxl-1024-30");
    assertThatThrownBy(() -> Calibration.SD_TURBO_512.latency(2)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Calibration.SDXL_1024_30.latency(50)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Calibration.SDXL_1024_30.latency(30)).isEqualTo(Calibration.SDXL_1024_30.latency(null));
  }
}
