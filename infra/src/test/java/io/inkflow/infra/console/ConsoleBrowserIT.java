package io.inkflow.infra.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.api.ApiConfig;
import io.inkflow.api.ApiService;
import io.inkflow.api.auth.ApiTokens;
import io.inkflow.infra.demo.ServiceProcess;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.streams.rewrite.PromptRewriteApp;
import io.inkflow.streams.scoring.ScoringApp;
import io.inkflow.testing.browser.HeadlessChromium;
import io.inkflow.workers.generate.GenerationWorkerMain;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;

/**
 * The web console in Debian's headless Chromium against the real local stack and the real services (the
 * PE-rewrite stream, a generation worker and the scoring stream as child JVMs, as {@code scripts/demo}
 * runs them; the API in this JVM): sign in, upload a CSV, watch the progress finish, open the gallery
 * (every best image decoded), label five pairs with the keyboard, and find those five labels in the
 * batch's export. Prompts carrying markup render as text: no script of theirs runs. Screenshots of each
 * step land under {@code target/screenshots/}.
 */
class ConsoleBrowserIT {
  static final String TOKEN = "browser-it-token-0123456789";
  static final Path PACK = Path.of("models", "mini-mmdit-flow").toAbsolutePath();
  static final Path REWARD_PACK = Path.of("models", "mini-reward").toAbsolutePath();
  static final Duration PIPELINE = Duration.ofMinutes(3);

  @TempDir Path dir;

  @Test
  void uploadWatchGalleryLabelFivePairsAndExportThem() throws Exception {
    Path csv = dir.resolve("console.csv");
    Files.writeString(csv, """
        sku,prompt,width,height,num_images
        C-1,蓝色背景，左边是黄色圆环，右边是红色方形,48,48,2
        C-2,"a red circle on the left of a blue background <script>window.pwned=1</script>",48,48,2
        C-3,"a black triangle in the middle, on a white background""><img src=x onerror=window.pwned=2>",48,48,2
        C-4,a yellow ring on a blue background,48,48,3
        """, StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("tokens.txt"), "it-annotator submitter,viewer,annotator " + ApiTokens.hashHex(TOKEN, null) + "\n");
    Path logs = Files.createDirectories(dir.resolve("logs"));
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral().withPartitions(1))) {
      Map<String, String> env = new HashMap<>(stack.connection().asEnv());
      env.putAll(stack.topics().settings().asEnv());
      env.put("INKFLOW_PACK_DIR", PACK.toString());
      env.put("INKFLOW_REWARD_PACK_DIR", REWARD_PACK.toString());
      env.put("INKFLOW_WORKER_CLAIM_DIR", stack.dataDir().resolve("claims").toString());
      List<ServiceProcess> services = new ArrayList<>();
      try {
        services.add(ServiceProcess.start("pe-rewrite", PromptRewriteApp.class,
            with(env, "INKFLOW_STATE_DIR", stack.dataDir().resolve("state-pe").toString()), logs.resolve("pe-rewrite.log"), "384m"));
        services.add(ServiceProcess.start("worker", GenerationWorkerMain.class, env, logs.resolve("worker.log"), "1g"));
        services.add(ServiceProcess.start("scoring", ScoringApp.class,
            with(env, "INKFLOW_STATE_DIR", stack.dataDir().resolve("state-scoring").toString()), logs.resolve("scoring.log"), "768m"));
        Map<String, String> apiEnv = new HashMap<>(env);
        apiEnv.put("INKFLOW_S3_ACCESS_KEY", stack.connection().s3AccessKey());
        apiEnv.put("INKFLOW_S3_SECRET_KEY", stack.connection().s3SecretKey());
        apiEnv.put("INKFLOW_API_PORT", "0");
        apiEnv.put("INKFLOW_API_TOKENS_FILE", dir.resolve("tokens.txt").toString());
        try (ApiService api = ApiService.start(ApiConfig.fromEnv(apiEnv), stack.topics(), Clock.systemUTC(), List.of());
             HeadlessChromium browser = HeadlessChromium.start()) {
          await().atMost(Duration.ofSeconds(60)).until(() -> api.notReady().isEmpty());
          run(browser, "http://127.0.0.1:" + api.port(), csv, services);
        }
      } finally {
        for (int i = services.size() - 1; i >= 0; i--) {
          services.get(i).close();
        }
      }
    }
  }

  private static void run(HeadlessChromium browser, String base, Path csv, List<ServiceProcess> services) throws Exception {
    browser.open(URI.create(base + "/console/"));
    browser.driver().findElement(By.id("token")).sendKeys(TOKEN);
    browser.driver().findElement(By.id("sign-in")).click();
    browser.await("the batches page", Duration.ofSeconds(20), d -> d.getCurrentUrl().endsWith("/console/batches"));
    assertThat(browser.driver().getPageSource()).doesNotContain(TOKEN);

    // Upload: the file goes through the API's own batch path; the page then opens the batch.
    browser.open(URI.create(base + "/console/upload"));
    browser.driver().findElement(By.id("file")).sendKeys(csv.toString());
    browser.driver().findElement(By.id("upload-button")).click();
    String batchUrl = browser.await("the batch page", Duration.ofSeconds(30),
        d -> d.getCurrentUrl().matches(".*/console/batches/[^/]+$") ? d.getCurrentUrl() : null);
    browser.screenshot("console-1-progress-running");
    browser.await("the progress to finish (service logs: " + services.stream().map(s -> s.log().toString()).toList() + ")", PIPELINE,
        d -> "complete".equals(d.findElement(By.id("state")).getText()));
    assertThat(browser.driver().findElement(By.id("done")).getText()).isEqualTo("4");
    browser.screenshot("console-2-progress-complete");

    // The gallery: each request's best image, decoded.
    browser.driver().findElement(By.id("gallery-link")).click();
    browser.await("the gallery", Duration.ofSeconds(20), d -> d.findElements(By.cssSelector("article.card")).size() == 4);
    int images = browser.driver().findElements(By.cssSelector("img.best")).size();
    assertThat(images).isEqualTo(4);
    for (int i = 1; i <= images; i++) {
      String selector = "article.card:nth-of-type(" + i + ") img.best";
      Long width = browser.await("image " + i + " to load", Duration.ofSeconds(20), d -> browser.naturalWidth(selector));
      assertThat(width).as(selector + " natural width").isGreaterThan(0);
    }
    assertThat(browser.driver().getPageSource()).contains("&lt;script&gt;window.pwned=1&lt;/script&gt;");
    assertThat(browser.driver().findElements(By.cssSelector("img[src='x']"))).isEmpty();
    assertThat(browser.script("return typeof window.pwned;")).isEqualTo("undefined");
    browser.screenshot("console-3-gallery");

    // Five pairs with the keyboard, each answer bringing the next pair.
    browser.open(URI.create(base + "/console/label"));
    List<String> labelled = new ArrayList<>();
    String[] keys = {"1", "2", "0", "1", "2"};
    for (String key : keys) {
      String pairId = browser.await("a pair to label", Duration.ofSeconds(20), d -> {
        WebElement pair = d.findElement(By.id("pair"));
        String id = pair.getAttribute("data-pair-id");
        return "ready".equals(pair.getAttribute("data-state")) && id != null && !labelled.contains(id) ? id : null;
      });
      browser.await("both images of " + pairId, Duration.ofSeconds(20),
          d -> Long.valueOf(1).equals(positive(browser.naturalWidth("#left"))) && Long.valueOf(1).equals(positive(browser.naturalWidth("#right"))));
      labelled.add(pairId);
      new Actions(browser.driver()).sendKeys(key).perform();
    }
    browser.await("five answers saved", Duration.ofSeconds(20), d -> "5".equals(d.findElement(By.id("answered")).getText()));
    assertThat(browser.script("return typeof window.pwned;")).isEqualTo("undefined");
    browser.screenshot("console-4-labelled");

    // The export: the five labels, read back from human-preferences by the API's view.
    String exportUrl = batchUrl + "/export";
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> rows = new ArrayList<>();
    browser.await("five labels in the export", Duration.ofSeconds(30), d -> {
      d.get(exportUrl);
      rows.clear();
      for (String line : d.findElement(By.tagName("body")).getText().split("\n")) {
        if (!line.isBlank()) {
          try {
            rows.add(json.readTree(line));
          } catch (Exception e) {
            throw new IllegalStateException("export line is not JSON: " + line, e);
          }
        }
      }
      return rows.size() == 5;
    });
    browser.screenshot("console-5-export");
    assertThat(rows).extracting(r -> r.path("pair_id").asText()).containsExactlyInAnyOrderElementsOf(labelled);
    assertThat(rows).allSatisfy(r -> {
      assertThat(r.path("label_source").asText()).isEqualTo("human");
      assertThat(r.path("annotator").asText()).isEqualTo("it-annotator");
      assertThat(r.path("label_0").asDouble() + r.path("label_1").asDouble()).isEqualTo(1.0);
    });
    assertThat(rows).filteredOn(r -> r.path("label_0").asDouble() == 0.5).hasSize(1);
  }

  private static Long positive(Long width) {
    return width == null ? null : width > 0 ? 1L : 0L;
  }

  private static Map<String, String> with(Map<String, String> env, String key, String value) {
    Map<String, String> m = new HashMap<>(env);
    m.put(key, value);
    return m;
  }
}
