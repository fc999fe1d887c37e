package io.inkflow.deploy;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;

/**
 * A container's environment, checked against the service's own configuration declarations as it is
 * built: a variable the service does not declare (a typo, a renamed variable) fails the generator
 * instead of being silently ignored in the cluster. Client pass-through variables
 * ({@code INKFLOW_KAFKA_CLIENT_*}, {@code INKFLOW_REGISTRY_CLIENT_*}) are built from the client
 * property they set.
 */
final class ContainerEnv {
  private final String service;
  private final ConfigDef declared;
  private final Map<String, EnvVar> vars = new LinkedHashMap<>();

  ContainerEnv(String service, ConfigDef declared) {
    this.service = service;
    this.declared = declared;
  }

  /** {@code name=value}; {@code name} must be declared by the service. */
  ContainerEnv set(String name, String value) {
    return put(declaredName(name), new EnvVarBuilder().withName(name).withValue(value).build());
  }

  /** Every variable of {@code env} (e.g. {@code TopicSettings.asEnv()}), each declared by the service. */
  ContainerEnv setAll(Map<String, String> env) {
    env.forEach(this::set);
    return this;
  }

  /** {@code name} from key {@code key} of Secret {@code secret}. */
  ContainerEnv fromSecret(String name, String secret, String key) {
    return put(declaredName(name), new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef()
        .withName(secret).withKey(key).endSecretKeyRef().endValueFrom().build());
  }

  /** {@code name} from a field of the pod ({@code metadata.name}). */
  ContainerEnv fromField(String name, String fieldPath) {
    return put(declaredName(name), new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef()
        .withFieldPath(fieldPath).endFieldRef().endValueFrom().build());
  }

  /** The variable {@code prefix + property} in the kit's spelling ({@code num.standby.replicas} → {@code …_NUM_STANDBY_REPLICAS}). */
  static String prefixed(String prefix, String property) {
    return prefix + property.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** A client property through {@code prefix} (the kit turns the variable back into the property). */
  ContainerEnv client(String prefix, String property, String value) {
    String name = prefixed(prefix, property);
    return put(name, new EnvVarBuilder().withName(name).withValue(value).build());
  }

  /** A client property through {@code prefix}, from a Secret. */
  ContainerEnv clientFromSecret(String prefix, String property, String secret, String key) {
    String name = prefixed(prefix, property);
    return put(name, new EnvVarBuilder().withName(name).withNewValueFrom().withNewSecretKeyRef()
        .withName(secret).withKey(key).endSecretKeyRef().endValueFrom().build());
  }

  List<EnvVar> build() {
    return new ArrayList<>(vars.values());
  }

  private String declaredName(String name) {
    if (!declared.names().contains(name)) {
      throw new IllegalArgumentException(service + " declares no variable " + name + "; it reads " + declared.names());
    }
    return name;
  }

  private ContainerEnv put(String name, EnvVar var) {
    if (vars.putIfAbsent(name, var) != null) {
      throw new IllegalArgumentException(service + ": " + name + " set twice");
    }
    return this;
  }
}
