package io.inkflow.infra.health;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DashboardMetricsTest {
  @Test
  void findsMetricNamesAndSkipsFunctionsLabelsAndDurations() {
    assertThat(DashboardMetrics.metricNames(
        "sum by (worker) (rate(inkflow_worker_images_total{code=\"A\"}[$__rate_interval])) / clamp_min(sum(rate(x_total[5m])), 1e-9)"))
        .containsExactlyInAnyOrder("inkflow_worker_images_total", "x_total");
    assertThat(DashboardMetrics.metricNames("max by (stage) (inkflow_worker_stage_seconds{quantile=\"0.99\"}) or on (a) b"))
        .containsExactlyInAnyOrder("inkflow_worker_stage_seconds", "b");
  }

  @Test
  void theDashboardNamesTheExpectedPanelsMetrics() throws Exception {
    assertThat(DashboardMetrics.read(DashboardMetrics.DASHBOARD)).contains("kafka_consumergroup_lag",
        "kafka_stream_inkflow_scoring_bad_cases_total", "inkflow_worker_accelerator_busy", "inkflow_worker_dead_letters_total");
  }
}
