package io.inkflow.infra.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.schemas.registry.SchemaRegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-process schema registry speaking the Avro subset of the Confluent Schema Registry REST API,
 * for the local stack and tests. Listens on 127.0.0.1 only.
 *
 * <p>Endpoints: {@code POST /subjects/{s}/versions}, {@code POST /subjects/{s}},
 * {@code GET /subjects}, {@code GET /subjects/{s}/versions}, {@code GET /subjects/{s}/versions/{v|latest}},
 * {@code DELETE /subjects/{s}}, {@code GET /schemas/ids/{id}}, {@code GET /schemas/ids/{id}/subjects},
 * {@code POST /compatibility/subjects/{s}/versions/{v|latest}}, {@code GET|PUT /config},
 * {@code GET|PUT /config/{s}}. Errors use Confluent's codes: 40401 subject not found, 40402 version
 * not found, 40403 schema not found, 409 incompatible, 42201 invalid schema, 42202 invalid version,
 * 42203 invalid compatibility level.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SUBJECT_VERSIONS = Pattern.compile("^/subjects/([^/]+)/versions/?$");
  private static final Pattern SUBJECT_VERSION = Pattern.compile("^/subjects/([^/]+)/versions/([^/]+)(/schema)?$");
  private static final Pattern SUBJECT = Pattern.compile("^/subjects/([^/]+)/?$");
  private static final Pattern SCHEMA_ID = Pattern.compile("^/schemas/ids/(-?\\d+)(/schema|/subjects)?$");
  private static final Pattern COMPAT = Pattern.compile("^/compatibility/subjects/([^/]+)/versions/([^/]+)$");
  private static final Pattern CONFIG = Pattern.compile("^/config(?:/([^/]+))?/?$");
  private static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

  private final ExecutorService executor;
  private final SchemaStore store;
  private final int port;
  /** The listening server; null while paused. */
  private HttpServer server;

  private EmbeddedSchemaRegistry(HttpServer server, ExecutorService executor, SchemaStore store) {
    this.server = server;
    this.executor = executor;
    this.store = store;
    this.port = server.getAddress().getPort();
  }

  /**
   * Starts a registry on 127.0.0.1.
   *
   * @param port the port, or 0 for a free one
   * @param defaultLevel the global compatibility level (Confluent's default is BACKWARD)
   * @param journal a file that keeps the registry's state across restarts, or null for memory only
   */
  public static EmbeddedSchemaRegistry start(int port, CompatibilityLevel defaultLevel, Path journal) throws IOException {
    SchemaStore store = new SchemaStore(defaultLevel, journal);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    } catch (IOException e) {
      store.close();
      throw e;
    }
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "schema-registry-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(server, executor, store);
    server.createContext("/", registry::handle);
    server.setExecutor(executor);
    server.start();
    LOG.info("schema registry listening on {} (compatibility {}, journal {})", registry.url(), defaultLevel,
        journal == null ? "none" : journal);
    return registry;
  }

  /** Starts a memory-only registry on a free port with BACKWARD compatibility. */
  public static EmbeddedSchemaRegistry start() throws IOException {
    return start(0, CompatibilityLevel.BACKWARD, null);
  }

  /** Base URL, e.g. {@code http://127.0.0.1:40123}. */
  public String url() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /**
   * Simulates an outage: closes the port and stops answering; the schemas are kept. Clients see
   * connection refused until {@link #resume()}.
   */
  public synchronized void pause() {
    if (server != null) {
      server.stop(0);
      server = null;
      LOG.info("schema registry on {} paused", url());
    }
  }

  /** Listens again on the same port, with the same schemas and ids. */
  public synchronized void resume() throws IOException {
    if (server == null) {
      HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
      s.createContext("/", this::handle);
      s.setExecutor(executor);
      s.start();
      server = s;
      LOG.info("schema registry on {} resumed", url());
    }
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warn("schema registry threads did not stop within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }

  /** An error answer: HTTP status + Confluent error code + message. */
  private static final class Reply extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final int code;

    Reply(int status, int code, String message) {
      super(message, null, false, false);
      this.status = status;
      this.code = code;
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      int status = 200;
      JsonNode body;
      try {
        body = route(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex);
      } catch (Reply r) {
        status = r.status;
        body = error(r.code, r.getMessage());
      } catch (SchemaRegistryException e) {
        status = e.httpStatus();
        body = error(e.errorCode(), e.getMessage());
      } catch (RuntimeException e) {
        LOG.error("schema registry failed on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
        status = 500;
        body = error(50001, "Error in the backend data store: " + e);
      }
      byte[] bytes = JSON.writeValueAsBytes(body);
      ex.getResponseHeaders().set("Content-Type", RestSchemaRegistryClient.CONTENT_TYPE);
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static ObjectNode error(int code, String message) {
    return JSON.createObjectNode().put("error_code", code).put("message", message);
  }

  private JsonNode route(String method, String path, HttpExchange ex) throws IOException {
    Matcher m;
    if ((m = SCHEMA_ID.matcher(path)).matches() && method.equals("GET")) {
      int id = Integer.parseInt(m.group(1));
      Schema schema = store.byId(id).orElseThrow(() -> new Reply(404, 40403, "Schema " + id + " not found"));
      if ("/subjects".equals(m.group(2))) {
        ArrayNode arr = JSON.createArrayNode();
        store.subjectsOf(id).forEach(arr::add);
        return arr;
      }
      if ("/schema".equals(m.group(2))) {
        return JSON.readTree(schema.toString());
      }
      return JSON.createObjectNode().put("schema", schema.toString());
    }
    if (path.equals("/subjects") || path.equals("/subjects/")) {
      requireMethod(method, "GET");
      ArrayNode arr = JSON.createArrayNode();
      store.subjects().forEach(arr::add);
      return arr;
    }
    if ((m = SUBJECT_VERSIONS.matcher(path)).matches()) {
      String subject = decode(m.group(1));
      if (method.equals("POST")) {
        SchemaStore.Version v = store.register(subject, schemaFrom(ex));
        return JSON.createObjectNode().put("id", v.id());
      }
      requireMethod(method, "GET");
      List<SchemaStore.Version> versions = requireSubject(subject);
      ArrayNode arr = JSON.createArrayNode();
      versions.forEach(v -> arr.add(v.version()));
      return arr;
    }
    if ((m = SUBJECT_VERSION.matcher(path)).matches()) {
      requireMethod(method, "GET");
      SchemaStore.Version v = version(decode(m.group(1)), m.group(2));
      if (m.group(3) != null) {
        return JSON.readTree(v.schema().toString());
      }
      return versionJson(v);
    }
    if ((m = SUBJECT.matcher(path)).matches()) {
      String subject = decode(m.group(1));
      if (method.equals("POST")) {
        Schema schema = schemaFrom(ex);
        requireSubject(subject);
        return versionJson(store.find(subject, schema).orElseThrow(() -> new Reply(404, 40403, "Schema not found")));
      }
      requireMethod(method, "DELETE");
      List<Integer> deleted = store.deleteSubject(subject);
      if (deleted.isEmpty()) {
        throw new Reply(404, 40401, "Subject '" + subject + "' not found.");
      }
      ArrayNode arr = JSON.createArrayNode();
      deleted.forEach(arr::add);
      return arr;
    }
    if ((m = COMPAT.matcher(path)).matches()) {
      requireMethod(method, "POST");
      String subject = decode(m.group(1));
      Schema schema = schemaFrom(ex);
      if (!"latest".equals(m.group(2))) {
        version(subject, m.group(2));
      } else if (store.versions(subject).isEmpty()) {
        throw new Reply(404, 40401, "Subject '" + subject + "' not found.");
      }
      List<String> problems = store.incompatibilities(subject, schema);
      ObjectNode out = JSON.createObjectNode().put("is_compatible", problems.isEmpty());
      if (!problems.isEmpty()) {
        ArrayNode msgs = out.putArray("messages");
        problems.forEach(msgs::add);
      }
      return out;
    }
    if ((m = CONFIG.matcher(path)).matches()) {
      String subject = m.group(1) == null ? null : decode(m.group(1));
      if (method.equals("PUT")) {
        JsonNode req = readBody(ex);
        String level = req.path("compatibility").asText(req.path("compatibilityLevel").asText(""));
        CompatibilityLevel parsed;
        try {
          parsed = CompatibilityLevel.parse(level);
        } catch (IllegalArgumentException e) {
          throw new Reply(422, 42203, "Invalid compatibility level: " + e.getMessage());
        }
        store.setLevel(subject, parsed);
        return JSON.createObjectNode().put("compatibility", parsed.name());
      }
      requireMethod(method, "GET");
      if (subject != null && !store.hasOwnLevel(subject)) {
        throw new Reply(404, 40408, "Subject '" + subject + "' does not have subject-level compatibility configured");
      }
      return JSON.createObjectNode().put("compatibilityLevel", store.level(subject).name());
    }
    throw new Reply(404, 404, "HTTP 404 Not Found: " + method + " " + path);
  }

  private static void requireMethod(String method, String expected) {
    if (!method.equals(expected)) {
      throw new Reply(405, 405, "HTTP 405 Method Not Allowed: expected " + expected + ", found " + method);
    }
  }

  private List<SchemaStore.Version> requireSubject(String subject) {
    List<SchemaStore.Version> versions = store.versions(subject);
    if (versions.isEmpty()) {
      throw new Reply(404, 40401, "Subject '" + subject + "' not found.");
    }
    return versions;
  }

  private SchemaStore.Version version(String subject, String version) {
    List<SchemaStore.Version> versions = requireSubject(subject);
    if ("latest".equals(version) || "-1".equals(version)) {
      return versions.get(versions.size() - 1);
    }
    int v;
    try {
      v = Integer.parseInt(version);
    } catch (NumberFormatException e) {
      throw new Reply(422, 42202, "The specified version '" + version + "' is not a valid version id");
    }
    if (v < 1) {
      throw new Reply(422, 42202, "The specified version '" + version + "' is not a valid version id");
    }
    Optional<SchemaStore.Version> found = versions.stream().filter(x -> x.version() == v).findFirst();
    return found.orElseThrow(() -> new Reply(404, 40402, "Version " + v + " not found."));
  }

  private static ObjectNode versionJson(SchemaStore.Version v) {
    return JSON.createObjectNode()
        .put("subject", v.subject())
        .put("version", v.version())
        .put("id", v.id())
        .put("schema", v.schema().toString());
  }

  private static Schema schemaFrom(HttpExchange ex) throws IOException {
    JsonNode req = readBody(ex);
    String type = req.path("schemaType").asText("AVRO");
    if (!"AVRO".equals(type)) {
      throw new Reply(422, 42201, "Invalid schema: only AVRO is supported, found schemaType " + type);
    }
    JsonNode schema = req.get("schema");
    if (schema == null || !schema.isTextual()) {
      throw new Reply(422, 42201, "Invalid schema: the request body needs a string field 'schema'");
    }
    return SchemaStore.parse(schema.asText());
  }

  private static JsonNode readBody(HttpExchange ex) throws IOException {
    byte[] bytes;
    try (InputStream in = ex.getRequestBody()) {
      bytes = in.readNBytes(MAX_BODY_BYTES + 1);
    }
    if (bytes.length > MAX_BODY_BYTES) {
      throw new Reply(413, 413, "request body over " + MAX_BODY_BYTES + " bytes");
    }
    try {
      JsonNode node = JSON.readTree(bytes);
      if (node == null || !node.isObject()) {
        throw new Reply(422, 42201, "Invalid schema: expected a JSON object body");
      }
      return node;
    } catch (IOException e) {
      throw new Reply(422, 42201, "Invalid schema: body is not JSON: " + e.getMessage());
    }
  }

  private static String decode(String segment) {
    return URLDecoder.decode(segment, StandardCharsets.UTF_8);
  }
}
