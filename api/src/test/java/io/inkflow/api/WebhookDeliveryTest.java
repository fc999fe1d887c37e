package io.inkflow.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.inkflow.api.view.ApiView;
import io.inkflow.api.view.SubjectKeys;
import io.inkflow.api.webhook.CallbackGuard;
import io.inkflow.api.webhook.WebhookDispatcher;
import io.inkflow.api.webhook.WebhookSigner;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.WebhookDelivery;
import io.inkflow.avro.WebhookState;
import io.inkflow.avro.WebhookSubjectKind;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhooks against a real HTTP receiver on loopback that fails its first attempts: signed, retried with
 * exponential backoff on an injected clock (hours pass instantly), each attempt recorded, and a pending
 * delivery delivered by a restarted dispatcher rebuilt from the records alone.
 */
class WebhookDeliveryTest {
  static final byte[] SECRET = "whsec-test-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  record Received(String eventId, String signature, byte[] body, Instant at) {}

  final ApiTestKit.MutableClock clock = new ApiTestKit.MutableClock(Instant.parse("2026-12-07T12:00:00Z"));
  final List<Received> received = new CopyOnWriteArrayList<>();
  final AtomicInteger failuresLeft = new AtomicInteger();
  final List<Map.Entry<String, WebhookDelivery>> topic = new CopyOnWriteArrayList<>();
  final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  HttpServer receiver;

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/hook", exchange -> {
      try (exchange) {
        byte[] body = exchange.getRequestBody().readAllBytes();
        received.add(new Received(exchange.getRequestHeaders().getFirst("Inkflow-Event-Id"),
            exchange.getRequestHeaders().getFirst(WebhookSigner.HEADER), body, clock.instant()));
        int status = failuresLeft.getAndDecrement() > 0 ? 500 : 204;
        exchange.sendResponseHeaders(status, -1);
      }
    });
    receiver.start();
  }

  @AfterEach
  void stopReceiver() {
    receiver.stop(0);
  }

  String url() {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
  }

  WebhookDispatcher dispatcher(ApiView view) {
    return new WebhookDispatcher(view, new CallbackGuard(List.of(), true), new WebhookSigner(SECRET),
        (key, d) -> topic.add(Map.entry(key, d)), WebhookDispatcher.httpTransport(Duration.ofSeconds(5)), clock,
        new WebhookDispatcher.Settings(Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofHours(24), Duration.ofSeconds(5)),
        d -> view.request(d.getSubjectId()).map(r -> Map.of("requestId", r.getRequestId(), "status", r.getStatus().name())),
        Runnable::run, metrics);
  }

  WebhookDelivery registered(String requestId) {
    return WebhookDelivery.newBuilder().setSubjectId(requestId).setKind(WebhookSubjectKind.REQUEST).setCallbackUrl(url())
        .setEventId("evt_" + requestId).setState(WebhookState.REGISTERED).setRegisteredAt(clock.instant()).build();
  }

  static RequestResult done(String requestId) {
    return RequestResult.newBuilder().setRequestId(requestId).setStatus(RequestStatus.COMPLETED)
        .setCompletedAt(Instant.parse("2026-12-07T12:00:00Z")).build();
  }

  @Test
  void aReceiverThatFailsIsRetriedWithBackoffUntilItAnswers2xxAndEveryAttemptIsRecorded() throws Exception {
    ApiView view = new ApiView();
    WebhookDispatcher d = dispatcher(view);
    String key = SubjectKeys.request("r-1");
    view.apply(key, registered("r-1"));
    assertThat(d.tick()).as("nothing is sent before the request completes").isZero();
    view.apply(done("r-1"));
    failuresLeft.set(3);

    assertThat(d.tick()).isEqualTo(1);
    List<Duration> waits = new ArrayList<>();
    while (view.delivery(key).orElseThrow().getState() == WebhookState.RETRYING) {
      Instant next = view.delivery(key).orElseThrow().getNextAttemptAt();
      assertThat(d.tick()).as("not due before its time").isZero();
      waits.add(Duration.between(clock.instant(), next));
      clock.advance(Duration.between(clock.instant(), next));
      d.tick();
    }
    assertThat(waits).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40));
    assertThat(received).hasSize(4).extracting(Received::eventId).containsOnly("evt_r-1");
    assertThat(received).extracting(r -> new String(r.body(), StandardCharsets.UTF_8)).containsOnly(
        new String(received.get(0).body(), StandardCharsets.UTF_8));
    assertThat(topic).extracting(e -> e.getKey() + " " + e.getValue().getAttempt() + " " + e.getValue().getState() + " "
        + e.getValue().getHttpStatus()).containsExactly(
        "request:r-1 1 RETRYING 500", "request:r-1 2 RETRYING 500", "request:r-1 3 RETRYING 500", "request:r-1 4 DELIVERED 204");
    assertThat(d.tick()).as("delivered is final").isZero();
    assertThat(metrics.counter("inkflow.api.webhook.attempts", "outcome", "retrying").count()).isEqualTo(3);
    assertThat(metrics.counter("inkflow.api.webhook.attempts", "outcome", "delivered").count()).isEqualTo(1);

    // The receiver's checks: the signature verifies, a tampered body or a replay 6 minutes later does not.
    Received last = received.get(3);
    WebhookSigner.verify(SECRET, last.signature(), last.body(), last.at());
    assertThat(new String(last.body(), StandardCharsets.UTF_8)).contains("\"id\":\"evt_r-1\"").contains("\"type\":\"request.completed\"");
    assertThatThrownBy(() -> WebhookSigner.verify(SECRET, last.signature(), "{}".getBytes(StandardCharsets.UTF_8), last.at()))
        .hasMessageContaining("does not match");
    assertThatThrownBy(() -> WebhookSigner.verify(SECRET, last.signature(), last.body(), last.at().plus(Duration.ofMinutes(6))))
        .hasMessageContaining("more than 5 minutes");
  }

  @Test
  void aReceiverDownForHoursIsRetriedWithCappedBackoffAndGivenUpOnlyAfterTheWindow() {
    ApiView view = new ApiView();
    WebhookDispatcher d = dispatcher(view);
    String key = SubjectKeys.request("r-2");
    view.apply(key, registered("r-2"));
    view.apply(done("r-2"));
    failuresLeft.set(Integer.MAX_VALUE);
    d.tick();
    int ticks = 0;
    while (view.delivery(key).orElseThrow().getState() == WebhookState.RETRYING && ticks++ < 200) {
      clock.advance(Duration.between(clock.instant(), view.delivery(key).orElseThrow().getNextAttemptAt()));
      d.tick();
    }
    WebhookDelivery last = view.delivery(key).orElseThrow();
    assertThat(last.getState()).isEqualTo(WebhookState.GAVE_UP);
    assertThat(Duration.between(last.getFirstAttemptAt(), last.getAttemptedAt())).isGreaterThanOrEqualTo(Duration.ofHours(24));
    // 10 s doubling to the 1 h cap: 10 attempts in the first ~1.4 h, then hourly until 24 h.
    assertThat(last.getAttempt()).isBetween(30, 34);
    assertThat(received).hasSize(last.getAttempt());
  }

  @Test
  void aPendingDeliverySurvivesAKillAndIsDeliveredByTheRestartedServiceFromTheRecordsAlone() {
    ApiView before = new ApiView();
    WebhookDispatcher first = dispatcher(before);
    String key = SubjectKeys.request("r-3");
    WebhookDelivery reg = registered("r-3");
    topic.add(Map.entry(key, reg));
    before.apply(key, reg);
    before.apply(done("r-3"));
    failuresLeft.set(1);
    first.tick();
    assertThat(received).hasSize(1);
    first.close(); // the kill: nothing of the first instance is kept but what it recorded

    ApiView after = new ApiView();
    for (Map.Entry<String, WebhookDelivery> e : List.copyOf(topic)) {
      after.apply(e.getKey(), e.getValue());
    }
    after.apply(done("r-3"));
    WebhookDispatcher restarted = dispatcher(after);
    assertThat(restarted.tick()).as("the retry is not due yet").isZero();
    clock.advance(Duration.ofSeconds(10));
    assertThat(restarted.tick()).isEqualTo(1);
    assertThat(after.delivery(key).orElseThrow().getState()).isEqualTo(WebhookState.DELIVERED);
    assertThat(received).hasSize(2).extracting(Received::eventId).containsOnly("evt_r-3");
  }

  @Test
  void theGuardRefusesMetadataLinkLocalAndUnlistedHostsAndPrivateAddressesUnlessAllowed() throws Exception {
    CallbackGuard strict = new CallbackGuard(List.of(), false, host -> new InetAddress[] {InetAddress.getByName(
        switch (host) {
          case "evil.example" -> "169.254.169.254";
          case "inside.example" -> "10.0.0.7";
          case "ok.example" -> "93.184.216.34";
          default -> host;
        })});
    assertThatThrownBy(() -> strict.check("http://169.254.169.254/latest/meta-data")).hasMessageContaining("link-local");
    assertThatThrownBy(() -> strict.check("http://evil.example/x")).hasMessageContaining("link-local");
    assertThatThrownBy(() -> strict.check("http://metadata.google.internal/")).hasMessageContaining("metadata");
    assertThatThrownBy(() -> strict.check("http://[fe80::1]/x")).hasMessageContaining("link-local");
    assertThatThrownBy(() -> strict.check("http://inside.example/x")).hasMessageContaining("private");
    assertThatThrownBy(() -> strict.check("http://127.0.0.1/x")).hasMessageContaining("loopback");
    assertThatThrownBy(() -> strict.check("ftp://ok.example/x")).hasMessageContaining("http or https");
    assertThatThrownBy(() -> strict.check("https://user:pw@ok.example/x")).hasMessageContaining("user info");
    assertThat(strict.check("https://ok.example/hook").getHost()).isEqualTo("ok.example");

    CallbackGuard listed = new CallbackGuard(List.of("*.partner.example"), true);
    assertThatThrownBy(() -> listed.check("https://ok.example/hook")).hasMessageContaining("allow-list");
    CallbackGuard loopback = new CallbackGuard(List.of(), true);
    assertThat(loopback.check("http://127.0.0.1:9/x").getPort()).isEqualTo(9);
    assertThatThrownBy(() -> loopback.check("http://169.254.169.254/")).as("link-local stays refused").hasMessageContaining("link-local");
  }
}
