package io.inkflow.common.config;

import java.util.Locale;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/** The variables every service shares, and how service definitions are put together from parts. */
public final class SharedConfig {
  public static final String BOOTSTRAP_SERVERS = "INKFLOW_BOOTSTRAP_SERVERS";
  public static final String REGISTRY_URL = "INKFLOW_REGISTRY_URL";
  public static final String TOPIC_PREFIX = "INKFLOW_TOPIC_PREFIX";
  public static final String HTTP_BIND = "INKFLOW_HTTP_BIND";
  /** Every {@code INKFLOW_KAFKA_CLIENT_X_Y=v} becomes the Kafka client property {@code x.y=v}. */
  public static final String KAFKA_CLIENT_PREFIX = "INKFLOW_KAFKA_CLIENT_";
  /** Every {@code INKFLOW_REGISTRY_CLIENT_X_Y=v} becomes the registry client property {@code x.y=v}. */
  public static final String REGISTRY_CLIENT_PREFIX = "INKFLOW_REGISTRY_CLIENT_";

  /** Where Kafka and the registry are, and the topic-name prefix. */
  public static final ConfigDef KAFKA = new ConfigDef()
      .define(BOOTSTRAP_SERVERS, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Kafka bootstrap servers, host:port[,host:port]")
      .define(REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
          "schema registry URL(s), comma-separated (Confluent REST API)")
      .define(TOPIC_PREFIX, Type.STRING, "", Importance.LOW, "prefix of every topic name");

  /** Where a service serves /metrics, /healthz and /readyz; each service has its own port variable. */
  public static final ConfigDef HTTP = new ConfigDef()
      .define(HTTP_BIND, Type.STRING, "127.0.0.1", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
          "address the metrics and health port binds; in a pod its own IP (the manifests set it from status.podIP), so that probes and Prometheus reach it");

  /** Which accelerator a service runs its models on. */
  public static final String DEVICE = "INKFLOW_DEVICE";

  /** {@code cpu}, {@code cuda} (device 0) or {@code cuda:N}. */
  public static final ConfigDef.Validator DEVICE_VALUE = new ConfigDef.Validator() {
    @Override
    public void ensureValid(String name, Object value) {
      if (value != null) {
        cudaDevice(name, value.toString());
      }
    }

    @Override
    public String toString() {
      return "cpu, cuda, cuda:N";
    }
  };

  /** The device variable, shared by the worker and the scoring stream. */
  public static final ConfigDef DEVICE_DEF = new ConfigDef()
      .define(DEVICE, Type.STRING, "cpu", DEVICE_VALUE, Importance.HIGH,
          "where models run: cpu, or a CUDA device (cuda = cuda:0); falls back to CPU, logged, when CUDA cannot start");

  private SharedConfig() {}

  /** The CUDA device a {@link #DEVICE} value names, or -1 for the CPU. */
  public static int cudaDevice(String name, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    if (v.equals("cpu")) {
      return -1;
    }
    if (v.equals("cuda") || v.equals("gpu")) {
      return 0;
    }
    if (v.startsWith("cuda:")) {
      try {
        int n = Integer.parseInt(v.substring(5));
        if (n >= 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
    }
    throw new ConfigException(name, value, "expected cpu, cuda or cuda:N");
  }

  /** One definition holding every variable of {@code parts}, in order. */
  public static ConfigDef merge(ConfigDef... parts) {
    ConfigDef out = new ConfigDef();
    for (ConfigDef part : parts) {
      part.configKeys().values().forEach(out::define);
    }
    return out;
  }
}
