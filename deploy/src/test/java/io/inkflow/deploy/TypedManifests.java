package io.inkflow.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The committed manifests read back as the typed models of fabric8 (Kubernetes, Prometheus operator) and
 * Strimzi, and a walk of every parsed object for fields the models did not know (kept in
 * {@code additionalProperties}, which the API server would prune or refuse).
 */
final class TypedManifests {
  /** The directory of the committed manifests (the tests run in the module folder, {@code deploy/}). */
  static final Path DIR = Path.of("k8s");
  /** The kinds the typed models parse, by {@code apiVersion kind}. KEDA's are checked by {@code deploy/validate/keda.mjs}. */
  static final Map<String, Class<? extends HasMetadata>> TYPED = Map.ofEntries(
      Map.entry("v1 Namespace", Namespace.class),
      Map.entry("v1 Secret", Secret.class),
      Map.entry("v1 Service", Service.class),
      Map.entry("v1 PersistentVolumeClaim", PersistentVolumeClaim.class),
      Map.entry("apps/v1 StatefulSet", StatefulSet.class),
      Map.entry("apps/v1 Deployment", Deployment.class),
      Map.entry("policy/v1 PodDisruptionBudget", PodDisruptionBudget.class),
      Map.entry("monitoring.coreos.com/v1 PodMonitor", PodMonitor.class),
      Map.entry("kafka.strimzi.io/v1 Kafka", Kafka.class),
      Map.entry("kafka.strimzi.io/v1 KafkaNodePool", KafkaNodePool.class),
      Map.entry("kafka.strimzi.io/v1 KafkaTopic", KafkaTopic.class));
  static final String KEDA_GROUP = "keda.sh/";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** One YAML document: where it is, its tree, and its typed object (null for KEDA's kinds). */
  record Doc(String file, JsonNode tree, HasMetadata typed) {
    String kind() {
      return tree.path("kind").asText();
    }

    String where() {
      return file + ": " + tree.path("apiVersion").asText() + " " + kind() + "/" + tree.path("metadata").path("name").asText();
    }
  }

  private TypedManifests() {}

  /** Every document of every committed {@code .yaml} file, in file order. */
  static List<Doc> readAll() throws IOException {
    List<Doc> docs = new ArrayList<>();
    try (Stream<Path> files = Files.list(DIR)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        docs.addAll(read(f.getFileName().toString(), Files.readString(f)));
      }
    }
    return docs;
  }

  /** The documents of one file's text; an {@code apiVersion kind} outside {@link #TYPED} and KEDA fails. */
  static List<Doc> read(String file, String text) throws IOException {
    List<Doc> docs = new ArrayList<>();
    for (JsonNode tree : YAML.readerFor(JsonNode.class).readValues(text).readAll().stream().map(JsonNode.class::cast).toList()) {
      if (tree == null || tree.isNull() || tree.isMissingNode()) {
        continue;
      }
      String key = tree.path("apiVersion").asText() + " " + tree.path("kind").asText();
      if (key.startsWith(KEDA_GROUP)) {
        docs.add(new Doc(file, tree, null));
        continue;
      }
      Class<? extends HasMetadata> type = TYPED.get(key);
      if (type == null) {
        throw new AssertionError(file + ": no typed model for " + key + "; known: " + TYPED.keySet());
      }
      docs.add(new Doc(file, tree, SERIALIZATION.unmarshal(tree.toString(), type)));
    }
    return docs;
  }

  /**
   * Every path below {@code root} where a model object keeps fields it did not know, as
   * {@code path: {field=value}}; empty when the whole tree is typed.
   */
  static List<String> unknownFields(Object root) {
    List<String> found = new ArrayList<>();
    walk(root, root.getClass().getSimpleName(), found, new IdentityHashMap<>());
    return found;
  }

  /** How many model objects with an {@code additionalProperties} map the walk of {@code root} saw. */
  static int objectsChecked(Object root) {
    int[] count = {0};
    countWalk(root, count, new IdentityHashMap<>());
    return count[0];
  }

  private static void walk(Object value, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) {
    if (value == null || seen.put(value, Boolean.TRUE) != null) {
      return;
    }
    if (value instanceof Collection<?> c) {
      int i = 0;
      for (Object v : c) {
        walk(v, path + "[" + i++ + "]", found, seen);
      }
      return;
    }
    if (value instanceof Map<?, ?> m) {
      m.forEach((k, v) -> walk(v, path + "." + k, found, seen));
      return;
    }
    if (!isModel(value.getClass())) {
      return;
    }
    for (Field f : fields(value.getClass())) {
      Object v = read(f, value);
      if (f.getName().equals("additionalProperties") && v instanceof Map<?, ?> extra) {
        if (!extra.isEmpty()) {
          found.add(path + ": " + extra);
        }
      } else {
        walk(v, path + "." + f.getName(), found, seen);
      }
    }
  }

  private static void countWalk(Object value, int[] count, IdentityHashMap<Object, Boolean> seen) {
    if (value == null || seen.put(value, Boolean.TRUE) != null) {
      return;
    }
    if (value instanceof Collection<?> c) {
      c.forEach(v -> countWalk(v, count, seen));
      return;
    }
    if (value instanceof Map<?, ?> m) {
      m.values().forEach(v -> countWalk(v, count, seen));
      return;
    }
    if (!isModel(value.getClass())) {
      return;
    }
    for (Field f : fields(value.getClass())) {
      if (f.getName().equals("additionalProperties")) {
        count[0]++;
      } else {
        countWalk(read(f, value), count, seen);
      }
    }
  }

  private static boolean isModel(Class<?> type) {
    String name = type.getName();
    return !type.isEnum() && (name.startsWith("io.fabric8.") || name.startsWith("io.strimzi."));
  }

  private static List<Field> fields(Class<?> type) {
    List<Field> out = new ArrayList<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers()) && !f.isSynthetic()) {
          out.add(f);
        }
      }
    }
    return out;
  }

  private static Object read(Field f, Object owner) {
    try {
      f.setAccessible(true);
      return f.get(owner);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new AssertionError("cannot read " + f + ": " + e, e);
    }
  }

  /** The {@code apiVersion kind} keys of {@link #TYPED}, for messages. */
  static Set<String> typedKinds() {
    return TYPED.keySet();
  }
}
