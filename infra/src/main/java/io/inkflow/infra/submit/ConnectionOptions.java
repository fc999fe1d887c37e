package io.inkflow.infra.submit;

import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.schemas.registry.RegistryClientConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Option;

/** Where the cluster and registry are: flags, else the environment {@code scripts/local-up} prints. */
public final class ConnectionOptions {
  @Option(names = "--bootstrap-servers", defaultValue = "${env:INKFLOW_BOOTSTRAP_SERVERS:-127.0.0.1:9092}",
      description = "Kafka bootstrap servers (default: $INKFLOW_BOOTSTRAP_SERVERS or ${DEFAULT-VALUE})")
  String bootstrap;

  @Option(names = "--registry-url", defaultValue = "${env:INKFLOW_REGISTRY_URL:-http://127.0.0.1:8081}",
      description = "schema registry URL (default: $INKFLOW_REGISTRY_URL or ${DEFAULT-VALUE})")
  String registryUrl;

  @Option(names = "--topic-prefix", defaultValue = "${env:INKFLOW_TOPIC_PREFIX:-}", description = "topic-name prefix")
  String topicPrefix;

  /**
   * Kafka client settings: the bootstrap servers plus every {@code INKFLOW_KAFKA_CLIENT_X_Y=v} of
   * {@code env} as {@code x.y=v} (TLS, SASL), as the services read them.
   */
  public Map<String, Object> kafka(Map<String, String> env) {
    Map<String, Object> props = new HashMap<>(EnvConfig.prefixed(env, SharedConfig.KAFKA_CLIENT_PREFIX));
    props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return props;
  }

  /** {@link #kafka(Map)} from this process's environment. */
  public Map<String, Object> kafka() {
    return kafka(System.getenv());
  }

  /** Registry client settings: the URL plus every {@code INKFLOW_REGISTRY_CLIENT_X_Y=v} of {@code env} (basic auth). */
  public RegistryClientConfig registry(Map<String, String> env) {
    Map<String, Object> props = new HashMap<>(EnvConfig.prefixed(env, SharedConfig.REGISTRY_CLIENT_PREFIX));
    props.put(RegistryClientConfig.URL, registryUrl);
    return RegistryClientConfig.fromMap(props);
  }

  /** {@link #registry(Map)} from this process's environment. */
  public RegistryClientConfig registry() {
    return registry(System.getenv());
  }
}
