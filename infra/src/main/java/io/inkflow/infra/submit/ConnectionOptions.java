package io.inkflow.infra.submit;

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
}
