package io.inkflow.testing.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.By;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.remote.service.DriverFinder;

/**
 * The browser-test base on a real page: Debian's headless Chromium loads a page and a PNG from a loopback
 * server, the image decodes (natural width > 0, where a missing one gives 0), a key press reaches the
 * page's handler, a screenshot lands under {@code target/screenshots/}, and Selenium Manager is never
 * asked for a driver.
 */
class HeadlessChromiumTest {
  static final int PNG_WIDTH = 7;
  static final String PAGE = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><title>browser check</title></head>
      <body>
        <img id="pixel" src="/pixel.png" alt="pixel">
        <img id="missing" src="/missing.png" alt="missing">
        <p id="keys"></p>
        <script>
          document.addEventListener('keydown', e => { document.getElementById('keys').textContent += e.key; });
        </script>
      </body></html>
      """;
  static HttpServer server;
  /** One browser for the class: starting one costs seconds. */
  static HeadlessChromium browser;
  static final List<String> seleniumLog = new CopyOnWriteArrayList<>();
  static final Logger FINDER_LOG = Logger.getLogger(DriverFinder.class.getName());
  static final Handler CAPTURE = new Handler() {
    @Override
    public void publish(LogRecord r) {
      seleniumLog.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };

  @BeforeAll
  static void serve() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", ex -> {
      switch (ex.getRequestURI().getPath()) {
        case "/" -> reply(ex, 200, "text/html; charset=utf-8", PAGE.getBytes(StandardCharsets.UTF_8));
        case "/pixel.png" -> reply(ex, 200, "image/png", png());
        default -> reply(ex, 404, "text/plain", "not found".getBytes(StandardCharsets.UTF_8));
      }
    });
    server.start();
    FINDER_LOG.setLevel(Level.FINE);
    FINDER_LOG.addHandler(CAPTURE);
    browser = HeadlessChromium.start();
  }

  @AfterAll
  static void stop() {
    try {
      if (browser != null) {
        browser.close();
      }
    } finally {
      FINDER_LOG.removeHandler(CAPTURE);
      server.stop(0);
    }
  }

  @Test
  void theDriverComesFromItsPathNotFromSeleniumManager() {
    assertThat(seleniumLog).anyMatch(m -> m.startsWith("Skipping Selenium Manager"));
    assertThat(browser.version()).matches("\\d+\\..*");
  }

  @Test
  void aPageFromLoopbackLoadsItsImageAndHandlesAKey(TestInfo test) throws IOException {
    browser.open(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"));
    assertThat(browser.driver().getTitle()).isEqualTo("browser check");
    long width = browser.await("pixel.png to load", Duration.ofSeconds(10), d -> browser.naturalWidth("#pixel"));
    assertThat(width).isEqualTo(PNG_WIDTH);
    // The same check on an image the server does not have: complete, and 0 wide.
    Long missing = browser.await("missing.png to fail", Duration.ofSeconds(10), d -> browser.naturalWidth("#missing"));
    assertThat(missing).isZero();

    browser.driver().findElement(By.tagName("body")).sendKeys("2");
    String keys = browser.await("the key to reach the page", Duration.ofSeconds(5), d -> {
      String text = d.findElement(By.id("keys")).getText();
      return text.isEmpty() ? null : text;
    });
    assertThat(keys).isEqualTo("2");

    Path shot = browser.screenshot(test.getTestClass().orElseThrow().getSimpleName() + "." + test.getTestMethod().orElseThrow().getName());
    assertThat(shot).startsWith(HeadlessChromium.SCREENSHOTS).hasFileName("HeadlessChromiumTest.aPageFromLoopbackLoadsItsImageAndHandlesAKey.png");
    byte[] png = Files.readAllBytes(shot);
    assertThat(png).startsWith(0x89, 'P', 'N', 'G');
    BufferedImage image = ImageIO.read(shot.toFile());
    assertThat(image.getWidth()).isPositive();
  }

  @Test
  void aWaitPastItsDeadlineFailsWithAScreenshot() throws IOException {
    Path expected = HeadlessChromium.SCREENSHOTS.resolve("timeout-an_element_that_never_appears.png");
    Files.deleteIfExists(expected);
    browser.open(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/"));
    try {
      browser.await("an element that never appears", Duration.ofMillis(300), d -> d.findElements(By.id("never")).isEmpty() ? null : true);
      throw new AssertionError("the wait did not time out");
    } catch (TimeoutException e) {
      assertThat(e).hasMessageContaining("an element that never appears").hasMessageContaining("screenshot");
    }
    assertThat(expected).exists().isNotEmptyFile();
  }

  @Test
  void screenshotNamesAreFileSafe() {
    assertThat(HeadlessChromium.fileSafe("../../etc/passwd")).isEqualTo("etc_passwd");
    assertThat(HeadlessChromium.fileSafe("label five pairs: 1/2")).isEqualTo("label_five_pairs_1_2");
    assertThat(HeadlessChromium.fileSafe("...")).isEqualTo("screenshot");
  }

  private static byte[] png() throws IOException {
    BufferedImage img = new BufferedImage(PNG_WIDTH, 5, BufferedImage.TYPE_INT_RGB);
    img.setRGB(3, 2, 0xFF3366);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private static void reply(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }
}
