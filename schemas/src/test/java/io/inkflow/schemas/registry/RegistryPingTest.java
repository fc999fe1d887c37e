package io.inkflow.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.inkflow.schemas.StartupChecks;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The start-up check's registry probe: one request per URL, no retries, a stable message when it fails. */
class RegistryPingTest {

  @Test
  void anUnreachableRegistryIsOneStableProblemAndAnAnsweringOneNone() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    RestSchemaRegistryClient dead = new RestSchemaRegistryClient(RegistryClientConfig.of("http://127.0.0.1:" + deadPort));
    List<String> first = StartupChecks.registry(dead).problems();
    assertThat(first).singleElement().satisfies(p -> assertThat(p).contains("127.0.0.1:" + deadPort).contains("unreachable"));
    assertThat(StartupChecks.registry(dead).problems()).as("the same line each round, so it is logged once").isEqualTo(first);

    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/subjects", exchange -> {
      byte[] body = "[]".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      RestSchemaRegistryClient live = new RestSchemaRegistryClient(RegistryClientConfig.of(
          "http://127.0.0.1:" + deadPort + ",http://127.0.0.1:" + server.getAddress().getPort()));
      assertThat(StartupChecks.registry(live).problems()).as("one answering URL is enough").isEmpty();
    } finally {
      server.stop(0);
    }
  }
}
