package io.inkflow.schemas.serde;

import io.inkflow.schemas.registry.RegistryClientConfig;
import java.util.Map;

/**
 * Serde settings, under the property names Confluent's serdes use.
 *
 * @param registry how to reach the registry
 * @param autoRegister register the writer schema on first use (otherwise it must already be registered)
 */
public record AvroSerdeConfig(RegistryClientConfig registry, boolean autoRegister) {
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  public static AvroSerdeConfig fromMap(Map<String, ?> props) {
    Object auto = props.get(AUTO_REGISTER_SCHEMAS);
    return new AvroSerdeConfig(RegistryClientConfig.fromMap(props), auto == null || Boolean.parseBoolean(auto.toString()));
  }
}
