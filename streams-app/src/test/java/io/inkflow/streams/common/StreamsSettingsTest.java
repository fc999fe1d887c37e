package io.inkflow.streams.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsSettingsTest {
  static final Map<String, String> BASE = Map.of("INKFLOW_BOOTSTRAP_SERVERS", "127.0.0.1:9092", "INKFLOW_REGISTRY_URL", "http://127.0.0.1:8081");

  private static Map<String, Object> producer(Map<String, String> env) {
    return new StreamsConfig(StreamsSettings.fromEnv(env).streamsProperties("app")).getProducerConfigs("client");
  }

  @Test
  void appsGetExactlyOnceAndTheThroughputDefaults() {
    StreamsConfig config = new StreamsConfig(StreamsSettings.fromEnv(BASE).streamsProperties("app"));
    assertThat(config.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    Map<String, Object> producer = config.getProducerConfigs("client");
    assertThat(producer).containsEntry(ProducerConfig.LINGER_MS_CONFIG, 5).containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024)
        .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    assertThat(config.getMainConsumerConfigs("group", "client", 0)).containsEntry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
  }

  @Test
  void theCommitIntervalIsADurationAndItsOldMillisecondNameIsStillRead() {
    assertThat(StreamsSettings.fromEnv(BASE).commitIntervalMs()).isEqualTo(100);
    Map<String, String> env = new java.util.HashMap<>(BASE);
    env.put("INKFLOW_COMMIT_INTERVAL_MS", "250");
    assertThat(StreamsSettings.fromEnv(env).commitIntervalMs()).isEqualTo(250);
    env.put("INKFLOW_COMMIT_INTERVAL", "PT1S");
    assertThat(StreamsSettings.fromEnv(env).commitIntervalMs()).isEqualTo(1000);
  }

  @Test
  void clientSettingsFromTheEnvironmentReplaceTheDefaults() {
    Map<String, String> env = new java.util.HashMap<>(BASE);
    env.put("INKFLOW_KAFKA_CLIENT_LINGER_MS", "50");
    env.put("INKFLOW_KAFKA_CLIENT_COMPRESSION_TYPE", "zstd");
    assertThat(producer(env)).containsEntry(ProducerConfig.LINGER_MS_CONFIG, "50").containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
  }

  @Test
  void tlsAndSaslSettingsReachEveryClientOfTheAppAndAreMaskedInTheLog() {
    Map<String, String> env = new java.util.HashMap<>(BASE);
    env.put("INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL");
    env.put("INKFLOW_KAFKA_CLIENT_SASL_MECHANISM", "SCRAM-SHA-512");
    env.put("INKFLOW_KAFKA_CLIENT_SASL_JAAS_CONFIG",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"svc\" password=\"jaas-secret\";");
    env.put("INKFLOW_KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12");
    env.put("INKFLOW_KAFKA_CLIENT_SSL_TRUSTSTORE_PASSWORD", "ts-secret");
    env.put("INKFLOW_REGISTRY_CLIENT_BASIC_AUTH_USER_INFO", "svc:reg-secret");
    StreamsSettings settings = StreamsSettings.fromEnv(env);
    StreamsConfig config = new StreamsConfig(settings.streamsProperties("app"));
    for (Map<String, Object> client : java.util.List.of(config.getProducerConfigs("client"),
        config.getMainConsumerConfigs("group", "client", 0), config.getRestoreConsumerConfigs("client"),
        config.getAdminConfigs("client"))) {
      assertThat(client).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
          .containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12").containsEntry("ssl.truststore.password", "ts-secret")
          .containsKey("sasl.jaas.config");
    }
    assertThat(settings.registry().basicAuthUserInfo()).isEqualTo("svc:reg-secret");
    assertThat(settings.toString()).contains("SASL_SSL", "sasl.jaas.config=****", "ssl.truststore.password=****")
        .doesNotContain("jaas-secret", "ts-secret", "reg-secret");
  }

  @Test
  void internalTopicsFollowTheDeploymentsReplicationFactorAndMinIsr() {
    StreamsConfig local = new StreamsConfig(StreamsSettings.fromEnv(BASE).streamsProperties("app"));
    assertThat(local.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(1);
    assertThat(local.originalsWithPrefix(StreamsConfig.TOPIC_PREFIX)).containsEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "1");

    Map<String, String> env = new HashMap<>(BASE);
    env.put("INKFLOW_TOPIC_REPLICATION_FACTOR", "3");
    env.put("INKFLOW_TOPIC_MIN_ISR", "2");
    env.put("INKFLOW_TOPIC_PARTITIONS_GENERATION_JOBS", "48");
    StreamsSettings settings = StreamsSettings.fromEnv(env);
    assertThat(settings.topics().partitionsOf("generation-jobs")).isEqualTo(48);
    StreamsConfig config = new StreamsConfig(settings.streamsProperties("app"));
    // Changelog and repartition topics are created by Streams with these.
    assertThat(config.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(3);
    assertThat(config.originalsWithPrefix(StreamsConfig.TOPIC_PREFIX)).containsEntry(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2");
    assertThat(settings.toString()).contains("replicationFactor=3", "minIsr=2");
  }

  @Test
  void aClientReplicationFactorThatContradictsTheDeploymentsIsRefused() {
    Map<String, String> env = new HashMap<>(BASE);
    env.put("INKFLOW_TOPIC_REPLICATION_FACTOR", "3");
    env.put("INKFLOW_TOPIC_MIN_ISR", "2");
    env.put("INKFLOW_KAFKA_CLIENT_REPLICATION_FACTOR", "3");
    assertThat(new StreamsConfig(StreamsSettings.fromEnv(env).streamsProperties("app")).getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG))
        .as("the same value twice is harmless").isEqualTo(3);
    env.put("INKFLOW_KAFKA_CLIENT_REPLICATION_FACTOR", "1");
    assertThatThrownBy(() -> StreamsSettings.fromEnv(env)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("INKFLOW_KAFKA_CLIENT_REPLICATION_FACTOR=1").hasMessageContaining("INKFLOW_TOPIC_REPLICATION_FACTOR=3");
    env.remove("INKFLOW_KAFKA_CLIENT_REPLICATION_FACTOR");
    env.put("INKFLOW_KAFKA_CLIENT_TOPIC_MIN_INSYNC_REPLICAS", "1");
    assertThatThrownBy(() -> StreamsSettings.fromEnv(env)).hasMessageContaining("INKFLOW_TOPIC_MIN_ISR=2");
  }

  @Test
  void topicSettingsAreValidatedWithTheStreamsSettings() {
    Map<String, String> env = new HashMap<>(BASE);
    env.put("INKFLOW_TOPIC_MIN_ISR", "2");
    assertThatThrownBy(() -> StreamsSettings.fromEnv(env)).hasMessageContaining("INKFLOW_TOPIC_MIN_ISR");
    env.remove("INKFLOW_TOPIC_MIN_ISR");
    env.put("INKFLOW_TOPIC_PARTITIONS_BATCHES", "3");
    assertThatThrownBy(() -> StreamsSettings.fromEnv(env)).hasMessageContaining("batches").hasMessageContaining("request-results");
  }
}
