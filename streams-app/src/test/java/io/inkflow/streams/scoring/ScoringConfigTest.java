package io.inkflow.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.inference.pack.RewardPackManifest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class ScoringConfigTest {
  static final Path PACK = Path.of("..", "infra", "models", "tiny-reward");

  static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("INKFLOW_BOOTSTRAP_SERVERS", "127.0.0.1:9092");
    env.put("INKFLOW_REGISTRY_URL", "http://127.0.0.1:8081");
    env.put("INKFLOW_REWARD_PACK_DIR", PACK.toString());
    return env;
  }

  @Test
  void defaultsComeFromTheSettingsAndThePack() {
    ScoringConfig config = ScoringConfig.fromEnv(env());
    assertThat(config.applicationId()).isEqualTo("inkflow-scoring");
    assertThat(config.settings()).isEqualTo(ScoringSettings.defaults());
    assertThat(config.cudaDevice()).isEqualTo(-1);
    RewardPackManifest pack = RewardPackManifest.read(PACK);
    assertThat(config.policy(pack)).isEqualTo(RewardPolicy.of(pack));
  }

  @Test
  void environmentOverridesSettingsWeightsAndThresholds() {
    Map<String, String> env = env();
    env.put("INKFLOW_SCORING_BATCH_SIZE", "32");
    env.put("INKFLOW_SCORING_REQUEST_TIMEOUT", "PT30S");
    env.put("INKFLOW_SCORING_THRESHOLD_OVERALL", "0.7");
    env.put("INKFLOW_SCORING_WEIGHT_AESTHETIC", "2");
    env.put("INKFLOW_SCORING_DEVICE", "CUDA:1");
    ScoringConfig config = ScoringConfig.fromEnv(env);
    assertThat(config.settings().batchSize()).isEqualTo(32);
    assertThat(config.settings().requestTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(config.cudaDevice()).isEqualTo(1);
    RewardPolicy policy = config.policy(RewardPackManifest.read(PACK));
    assertThat(policy.thresholds().overall()).isEqualTo(0.7);
    assertThat(policy.weights().aesthetic()).isEqualTo(2.0);
  }

  @Test
  void badValuesSayWhatWasExpected() {
    Map<String, String> env = env();
    env.put("INKFLOW_SCORING_FLUSH_INTERVAL", "200ms");
    assertThatThrownBy(() -> ScoringConfig.fromEnv(env)).hasMessageContaining("INKFLOW_SCORING_FLUSH_INTERVAL");
    env.remove("INKFLOW_SCORING_FLUSH_INTERVAL");
    env.put("INKFLOW_SCORING_BATCH_SIZE", "0");
    assertThatThrownBy(() -> ScoringConfig.fromEnv(env)).hasMessage(
        "Invalid value 0 for configuration INKFLOW_SCORING_BATCH_SIZE: Value must be at least 1");
    env.remove("INKFLOW_SCORING_BATCH_SIZE");
    env.put("INKFLOW_SCORING_THRESHOLD_OVERALL", "3");
    assertThatThrownBy(() -> ScoringConfig.fromEnv(env)).hasMessageContaining("INKFLOW_SCORING_THRESHOLD_OVERALL");
    env.remove("INKFLOW_SCORING_THRESHOLD_OVERALL");
    env.remove("INKFLOW_REWARD_PACK_DIR");
    assertThatThrownBy(() -> ScoringConfig.fromEnv(env)).hasMessageContaining("INKFLOW_REWARD_PACK_DIR");
  }

  @Test
  void theTransactionOutlastsAMicroBatchOfSlowTextReadingUnlessOverridden() {
    Properties defaults = ScoringTopology.withScoringDefaults(new Properties());
    assertThat(defaults.get(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG))).isEqualTo(120_000);
    Properties given = new Properties();
    given.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), "30000");
    assertThat(ScoringTopology.withScoringDefaults(given).get(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG)))
        .isEqualTo("30000");
  }
}
