package io.inkflow.common.health;

/**
 * Where a service serves {@link HealthServer}'s endpoints.
 *
 * @param bind the address to bind: 127.0.0.1 for local runs, the pod's IP in a pod so probes and scrapes reach it
 * @param port the port; 0 serves nothing, -1 takes any free port (tests)
 */
public record HttpSettings(String bind, int port) {
  public HttpSettings {
    if (bind == null || bind.isBlank()) {
      throw new IllegalArgumentException("INKFLOW_HTTP_BIND is empty; expected an address such as 127.0.0.1 or the pod's IP");
    }
    if (port < -1 || port > 65535) {
      throw new IllegalArgumentException("HTTP port must be 0..65535, found " + port);
    }
  }

  /** No server. */
  public static HttpSettings none() {
    return new HttpSettings("127.0.0.1", 0);
  }

  /** Any free port on the loopback address. */
  public static HttpSettings ephemeral() {
    return new HttpSettings("127.0.0.1", -1);
  }
}
