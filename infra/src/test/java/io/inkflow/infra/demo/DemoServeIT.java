package io.inkflow.infra.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/demo --serve} as the user runs it, in its own JVM: after the run it prints the API's and the
 * console's URLs and one token per role; the API answers {@code /readyz} and serves the demo's batch with the
 * run's counts to the viewer token; no token reaches a log; SIGTERM ends the demo, every child JVM it started
 * and the stack, and frees their ports.
 */
class DemoServeIT {
  static final Pattern STACK = Pattern.compile("local stack up in \\d+ ms \\(Kafka [^:]+:(\\d+), registry http://[^:]+:(\\d+)\\S*, S3 http://[^:]+:(\\d+)");
  static final Pattern BATCH = Pattern.compile(
      "batch (\\S+): (\\d+) completed, (\\d+) partial, (\\d+) failed, (\\d+) rejected, (\\d+) missing of (\\d+)");
  static final Pattern CONSOLE = Pattern.compile("console  http://127\\.0\\.0\\.1:(\\d+)/console/");
  static final Pattern READYZ = Pattern.compile("readyz   (http://127\\.0\\.0\\.1:(\\d+)/readyz)");
  static final Pattern TOKEN = Pattern.compile("(?m)^    (viewer|submitter|annotator) +(\\S+)$");
  static final Pattern WEBHOOK_SECRET = Pattern.compile("webhook signing secret \\([^)]*\\): (\\S+)");

  @TempDir Path dir;

  @Test
  void servesTheRunUntilSigtermThenStopsEverything() throws Exception {
    List<String> catalogue = Files.readAllLines(Path.of("models", "mini-mmdit-flow", "catalog.csv"), StandardCharsets.UTF_8);
    Path csv = Files.write(dir.resolve("serve.csv"), catalogue.subList(0, 3), StandardCharsets.UTF_8);
    Path output = dir.resolve("out");
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    Process demo = new ProcessBuilder(ServiceProcess.javaCommand(DemoMain.class.getName(),
        List.of("-Xmx512m", "-XX:+UseSerialGC", "-Djava.awt.headless=true"),
        List.of("--serve", "--api-port", "0", "--output", output.toString(), "--catalog", csv.toString(),
            "--pack", Path.of("models", "mini-mmdit-flow").toString(), "--reward-pack", Path.of("models", "mini-reward").toString(),
            "--timeout", "PT5M")))
        .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    List<ProcessHandle> children = new ArrayList<>();
    try {
      await().atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofMillis(500)).until(() -> {
        if (!demo.isAlive()) {
          throw new IllegalStateException("the demo exited with " + demo.exitValue() + "\n" + Files.readString(stdout)
              + Files.readString(stderr));
        }
        return Files.readString(stdout).contains("webhook signing secret");
      });
      String printed = Files.readString(stdout);
      Matcher stack = find(STACK, printed);
      Matcher batch = find(BATCH, printed);
      Matcher console = find(CONSOLE, printed);
      int apiPort = Integer.parseInt(console.group(1));
      Matcher readyz = find(READYZ, printed);
      Map<String, String> tokens = new LinkedHashMap<>();
      for (Matcher m = TOKEN.matcher(printed); m.find(); ) {
        tokens.put(m.group(1), m.group(2));
      }
      assertThat(tokens).containsOnlyKeys("viewer", "submitter", "annotator");
      assertThat(tokens.values()).doesNotHaveDuplicates().allSatisfy(t -> assertThat(t).hasSizeGreaterThanOrEqualTo(40));
      String webhookSecret = find(WEBHOOK_SECRET, printed).group(1);

      HttpClient http = HttpClient.newHttpClient();
      assertThat(http.send(HttpRequest.newBuilder(URI.create(readyz.group(1))).build(), HttpResponse.BodyHandlers.discarding())
          .statusCode()).isEqualTo(200);
      // The printed console URL answers with the console's sign-in form.
      HttpResponse<String> consolePage = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
          .send(HttpRequest.newBuilder(URI.create(console.group().substring("console  ".length()))).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(consolePage.statusCode()).as(consolePage.body()).isEqualTo(200);
      assertThat(consolePage.body()).contains("action=\"/console/login\"");
      URI batchUri = URI.create("http://127.0.0.1:" + apiPort + "/v1/batches/" + batch.group(1));
      assertThat(http.send(HttpRequest.newBuilder(batchUri).build(), HttpResponse.BodyHandlers.discarding()).statusCode())
          .as("no token").isEqualTo(401);
      HttpResponse<String> got = http.send(HttpRequest.newBuilder(batchUri).header("Authorization", "Bearer " + tokens.get("viewer"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
      JsonNode doc = new ObjectMapper().readTree(got.body());
      assertThat(doc.get("complete").asBoolean()).isTrue();
      assertThat(doc.get("expected").asInt()).isEqualTo(Integer.parseInt(batch.group(7))).isEqualTo(2);
      assertThat(doc.get("done").asInt()).isEqualTo(2);
      JsonNode counts = doc.get("counts");
      assertThat(counts.get("completed").asInt()).isEqualTo(Integer.parseInt(batch.group(2)));
      assertThat(counts.get("partial").asInt()).isEqualTo(Integer.parseInt(batch.group(3)));
      assertThat(counts.get("failed").asInt()).isEqualTo(Integer.parseInt(batch.group(4)));
      assertThat(counts.get("rejected").asInt()).isEqualTo(Integer.parseInt(batch.group(5)));
      assertThat(doc.get("missing").asInt()).isEqualTo(Integer.parseInt(batch.group(6)));

      demo.descendants().forEach(children::add);
      assertThat(children).as("the PE stream, the worker, the scoring stream and the API").hasSizeGreaterThanOrEqualTo(4);
      demo.destroy();
      assertThat(demo.waitFor(5, TimeUnit.MINUTES)).as("the demo exits after SIGTERM").isTrue();
      assertThat(demo.exitValue()).as("a JVM ended by SIGTERM").isEqualTo(143);
      assertThat(children).noneMatch(ProcessHandle::isAlive);
      for (int port : List.of(apiPort, Integer.parseInt(readyz.group(2)), Integer.parseInt(stack.group(1)),
          Integer.parseInt(stack.group(2)), Integer.parseInt(stack.group(3)))) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
          assertThat(s.getLocalPort()).isEqualTo(port);
        }
      }

      Path logs = output.resolve("logs");
      List<Path> written;
      try (Stream<Path> files = Files.walk(output)) {
        written = files.filter(Files::isRegularFile).toList();
      }
      assertThat(written).contains(logs.resolve("api.log"), logs.resolve("pe-rewrite.log"), logs.resolve("worker.log"),
          logs.resolve("scoring.log"));
      assertThat(Files.readString(logs.resolve("api.log"))).contains("API running on port " + apiPort);
      List<Path> checked = new ArrayList<>(written);
      checked.add(stderr);
      for (Path f : checked) {
        String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String secret : tokens.values()) {
          assertThat(text).as(f + " holds a token").doesNotContain(secret);
        }
        assertThat(text).as(f + " holds the webhook secret").doesNotContain(webhookSecret);
      }
      assertThat(Files.readString(stdout)).as("the tokens are printed once").containsOnlyOnce(tokens.get("viewer"));
    } finally {
      if (demo.isAlive()) {
        demo.descendants().forEach(ProcessHandle::destroyForcibly);
        demo.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      children.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private static Matcher find(Pattern p, String text) {
    Matcher m = p.matcher(text);
    assertThat(m.find()).as(p + " in\n" + text).isTrue();
    return m;
  }
}
