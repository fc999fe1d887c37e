package io.inkflow.testing.browser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real headless Chromium for browser tests: Debian's {@code chromium} driven through Debian's
 * {@code chromium-driver} with Selenium, both named by path so that Selenium Manager never looks for (or
 * downloads) a browser or a driver. {@code scripts/test} installs both ({@code inkflow_ensure_chromium}).
 *
 * <p>One instance owns one browser and its driver process and closes both. Screenshots go to
 * {@code target/screenshots/<name>.png}, kept as test artefacts; a wait that runs past its deadline saves
 * one before it fails. A module with browser tests declares {@code selenium-chrome-driver} and
 * {@code selenium-support} itself (test-support keeps them optional, off the other modules' class paths).
 *
 * <pre>{@code
 * try (HeadlessChromium browser = HeadlessChromium.start()) {
 *   browser.open(server.uri("/"));
 *   long width = browser.await("the image to load", Duration.ofSeconds(10), d -> browser.naturalWidth("#img"));
 * }
 * }</pre>
 */
public final class HeadlessChromium implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HeadlessChromium.class);
  /** Debian's browser, from package {@code chromium}. */
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** Debian's driver, from package {@code chromium-driver}: the same version as the browser. */
  public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  /** Where screenshots go, relative to the module that runs the test. */
  public static final Path SCREENSHOTS = Path.of("target", "screenshots");
  /**
   * The browser's flags: the new headless mode; no sandbox (tests run as root in CI containers, where
   * Chromium refuses its sandbox); no GPU; no traffic of its own (background networking, component
   * updates, first-run pages), so a test only sees the requests it makes.
   */
  public static final List<String> FLAGS = List.of("--headless=new", "--no-sandbox", "--disable-gpu",
      "--disable-background-networking", "--disable-component-update", "--no-first-run");
  /**
   * Further flags that keep runs alike: a fixed window, so screenshots have one size; {@code /tmp} instead
   * of a container's small {@code /dev/shm}.
   */
  public static final List<String> STABILITY_FLAGS = List.of("--window-size=1280,900", "--disable-dev-shm-usage");

  private final ChromeDriverService service;
  private final ChromeDriver driver;
  private final Path screenshots;

  private HeadlessChromium(ChromeDriverService service, ChromeDriver driver, Path screenshots) {
    this.service = service;
    this.driver = driver;
    this.screenshots = screenshots;
  }

  /** Starts Debian's chromium through Debian's chromedriver, screenshots under {@link #SCREENSHOTS}. */
  public static HeadlessChromium start() {
    return start(CHROMIUM, CHROMEDRIVER, SCREENSHOTS);
  }

  /**
   * Starts {@code chromium} through {@code chromedriver}.
   *
   * @throws IllegalStateException naming what is missing and how to install it, when either is not executable
   */
  public static HeadlessChromium start(Path chromium, Path chromedriver, Path screenshots) {
    for (Path p : List.of(chromium, chromedriver)) {
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException("browser tests need " + p + ", not found or not executable: run scripts/test, which installs "
            + "it, or apt-get install chromium chromium-driver");
      }
    }
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile())
        .usingAnyFreePort()
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    List<String> flags = new ArrayList<>(FLAGS);
    flags.addAll(STABILITY_FLAGS);
    options.addArguments(flags);
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      LOG.info("headless {} {} through {}", chromium, driver.getCapabilities().getBrowserVersion(), chromedriver);
      return new HeadlessChromium(service, driver, screenshots);
    } catch (RuntimeException e) {
      service.stop();
      throw e;
    }
  }

  /** Whether Debian's chromium and chromedriver are installed, for messages. */
  public static boolean installed() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  }

  /** The browser's version, as its driver reports it. */
  public String version() {
    return driver.getCapabilities().getBrowserVersion();
  }

  /** The Selenium driver, for what this class does not wrap. */
  public WebDriver driver() {
    return driver;
  }

  /** Loads {@code uri} and waits until the page's load event (Selenium's page-load strategy "normal"). */
  public void open(URI uri) {
    driver.get(uri.toString());
  }

  /** Runs {@code script} in the page ({@code return …} to get a value back). */
  public Object script(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /**
   * The {@code naturalWidth} of the image that {@code cssSelector} finds once it has finished loading:
   * 0 for an image that failed; null while it is still loading, or when there is no such image (so that
   * {@link #await} keeps polling).
   */
  public Long naturalWidth(String cssSelector) {
    Object width = script("const img = document.querySelector(arguments[0]);"
        + " return img && img.complete ? img.naturalWidth : null;", cssSelector);
    return width == null ? null : ((Number) width).longValue();
  }

  /**
   * Polls {@code condition} until it returns a value other than null or false, or fails after
   * {@code timeout} with {@code what} in the message and a screenshot named after it.
   */
  public <T> T await(String what, Duration timeout, Function<WebDriver, T> condition) {
    try {
      return new WebDriverWait(driver, timeout, Duration.ofMillis(50)).withMessage(what).until(condition::apply);
    } catch (TimeoutException e) {
      Path shot = screenshot("timeout-" + what);
      throw new TimeoutException("waited " + timeout + " for " + what + "; screenshot " + shot.toAbsolutePath(), e);
    }
  }

  /** Saves a screenshot of the viewport as {@code target/screenshots/<name>.png} (name made file-safe) and returns its path. */
  public Path screenshot(String name) {
    Path file = screenshots.resolve(fileSafe(name) + ".png");
    try {
      Files.createDirectories(screenshots);
      Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write screenshot " + file, e);
    }
    return file;
  }

  /** Quits the browser and stops the driver process. */
  @Override
  public void close() {
    try {
      driver.quit();
    } catch (WebDriverException e) {
      LOG.warn("quitting the browser failed; stopping its driver anyway", e);
    } finally {
      service.stop();
    }
  }

  static String fileSafe(String name) {
    String safe = Objects.requireNonNull(name, "name").replaceAll("[^A-Za-z0-9._-]+", "_");
    safe = safe.replaceAll("^[._]+", "");
    return safe.isEmpty() ? "screenshot" : safe.substring(0, Math.min(safe.length(), 120));
  }
}
