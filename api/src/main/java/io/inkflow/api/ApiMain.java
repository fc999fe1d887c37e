package io.inkflow.api;

import io.inkflow.api.auth.ApiTokens;
import io.inkflow.common.config.EnvConfig;
import io.inkflow.common.config.SharedConfig;
import io.inkflow.common.health.HealthServer;
import io.inkflow.common.health.ServiceHealth;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * {@code scripts/api}: runs the API service until SIGTERM. {@code --hash-token} reads a token from stdin and
 * prints the hash to put in the tokens file (with {@code INKFLOW_API_TOKEN_PEPPER} when set).
 */
public final class ApiMain {
  private static final Logger LOG = LoggerFactory.getLogger(ApiMain.class);

  private ApiMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("--hash-token")) {
      String token = new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip();
      String pepper = System.getenv("INKFLOW_API_TOKEN_PEPPER");
      System.out.println(ApiTokens.hashHex(token, pepper == null ? null : pepper.getBytes(StandardCharsets.UTF_8)));
      return;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    Map<String, String> env = System.getenv();
    ApiConfig config = ApiConfig.fromEnv(env);
    LOG.info("starting the API: {}", config);
    Map<String, Object> registryProps = new HashMap<>(EnvConfig.prefixed(env, SharedConfig.REGISTRY_CLIENT_PREFIX));
    registryProps.put(RegistryClientConfig.URL, config.registryUrl());
    CountDownLatch stop = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop.countDown();
      try {
        // The JVM exits when this hook returns: wait for the server, producers and view to close.
        closed.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "api-shutdown"));
    ServiceHealth health = new ServiceHealth();
    try (RestSchemaRegistryClient registry = new RestSchemaRegistryClient(RegistryClientConfig.fromMap(registryProps));
         ApiService service = ApiService.start(config, Topics.create(registry, config.topicPrefix(), TopicSettings.fromEnv(env), true),
             Clock.systemUTC(), List.of());
         HealthServer probes = HealthServer.start("api", config.http(), service::scrape, health)) {
      health.readyWhen(service::notReady);
      LOG.info("API running on port {} (probes and metrics on port {}, 0: off)", service.port(), probes.port());
      stop.await();
      LOG.info("shutdown requested: stopping the API");
    } finally {
      closed.countDown();
    }
  }
}
