package io.inkflow.infra.submit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionOptionsTest {

  @Test
  void tlsSaslAndRegistryCredentialsComeFromTheEnvironmentLikeTheServices() {
    ConnectionOptions options = new ConnectionOptions();
    options.bootstrap = "broker:9093";
    options.registryUrl = "https://registry:8081";
    Map<String, String> env = Map.of(
        "INKFLOW_KAFKA_CLIENT_SECURITY_PROTOCOL", "SASL_SSL",
        "INKFLOW_KAFKA_CLIENT_SASL_MECHANISM", "PLAIN",
        "INKFLOW_KAFKA_CLIENT_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12",
        "INKFLOW_REGISTRY_CLIENT_BASIC_AUTH_USER_INFO", "svc:reg-secret");
    assertThat(options.kafka(env)).containsEntry("bootstrap.servers", "broker:9093").containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "PLAIN").containsEntry("ssl.truststore.location", "/etc/kafka/truststore.p12")
        .doesNotContainKey("basic.auth.user.info");
    assertThat(options.registry(env).basicAuthUserInfo()).isEqualTo("svc:reg-secret");
    assertThat(options.registry(env).urls()).extracting(Object::toString).containsExactly("https://registry:8081");
    assertThat(options.kafka(Map.of())).containsOnlyKeys("bootstrap.servers");
  }
}
