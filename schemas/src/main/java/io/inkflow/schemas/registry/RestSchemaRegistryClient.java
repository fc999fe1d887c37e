package io.inkflow.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Confluent Schema Registry REST client (also good for Apicurio's {@code /apis/ccompat/v7} and
 * Karapace). Caches subject+schema → id and id → schema, so each is fetched once per process.
 *
 * <p>Connection failures, timeouts and 5xx answers are retried with exponential backoff until
 * {@link RegistryClientConfig#retryTimeout()} has passed, then fail with
 * {@link SchemaRegistryUnavailableException}; 4xx answers fail at once with a typed exception.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
  private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistryClient.class);
  /** The media type of the Confluent Schema Registry REST API, which registries answer in. */
  public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RegistryClientConfig config;
  private final String authHeader;
  private final Map<SubjectSchema, Integer> idCache = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemaCache = new ConcurrentHashMap<>();

  private record SubjectSchema(String subject, Schema schema) {}

  public RestSchemaRegistryClient(RegistryClientConfig config) {
    this.config = config;
    this.authHeader = config.basicAuthUserInfo() == null ? null
        : "Basic " + Base64.getEncoder().encodeToString(config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public int register(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer cached = idCache.get(key);
    if (cached != null) {
      return cached;
    }
    JsonNode reply = call("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema));
    int id = reply.path("id").asInt(-1);
    if (id < 0) {
      throw new SchemaRegistryException("registry at " + describe() + " answered register without an id: " + reply, 200, -1);
    }
    idCache.put(key, id);
    schemaCache.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public int lookup(String subject, Schema schema) {
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer cached = idCache.get(key);
    if (cached != null) {
      return cached;
    }
    JsonNode reply = call("POST", "/subjects/" + encode(subject), schemaBody(schema));
    int id = reply.path("id").asInt(-1);
    idCache.put(key, id);
    schemaCache.putIfAbsent(id, schema);
    return id;
  }

  @Override
  public Schema getById(int id) {
    Schema cached = schemaCache.get(id);
    if (cached != null) {
      return cached;
    }
    JsonNode reply = call("GET", "/schemas/ids/" + id, null);
    String type = reply.path("schemaType").asText("AVRO");
    if (!"AVRO".equals(type)) {
      throw new SchemaRegistryException("schema id " + id + " is of type " + type + ", expected AVRO", 200, -1);
    }
    Schema schema;
    try {
      schema = new Schema.Parser().parse(reply.path("schema").asText());
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException("schema id " + id + " from " + describe() + " is not valid Avro: " + e.getMessage(), e);
    }
    Schema prior = schemaCache.putIfAbsent(id, schema);
    return prior == null ? schema : prior;
  }

  @Override
  public boolean testCompatibility(String subject, Schema schema) {
    try {
      JsonNode reply = call("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest", schemaBody(schema));
      return reply.path("is_compatible").asBoolean(false);
    } catch (SchemaRegistryException.NotFoundException e) {
      return true; // a subject with no versions accepts any schema
    }
  }

  /**
   * Asks each registry URL once, without retrying, whether it answers ({@code GET /subjects} with this
   * client's credentials): empty when one does, else what each answered, for a start-up check.
   */
  public Optional<String> ping() {
    List<String> failures = new ArrayList<>();
    for (URI base : config.urls()) {
      try {
        HttpURLConnection conn = open(base, "GET", "/subjects", null);
        try {
          int status = conn.getResponseCode();
          if (status < 300) {
            return Optional.empty();
          }
          failures.add(base + " answered HTTP " + status);
        } finally {
          conn.disconnect();
        }
      } catch (IOException e) {
        failures.add(base + " unreachable (" + e.getClass().getSimpleName() + ")");
      }
    }
    return Optional.of("schema registry " + String.join(", ", failures));
  }

  @Override
  public String describe() {
    return config.urls().toString();
  }

  @Override
  public void close() {
    // HttpURLConnection keeps no threads of ours; pooled keep-alive sockets time out on their own.
    idCache.clear();
    schemaCache.clear();
  }

  private static String schemaBody(Schema schema) {
    ObjectNode body = JSON.createObjectNode();
    body.put("schema", schema.toString());
    body.put("schemaType", "AVRO");
    return body.toString();
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** One logical call: tries each URL, retries transient failures with backoff until the deadline. */
  private JsonNode call(String method, String path, String body) {
    long deadline = System.nanoTime() + config.retryTimeout().toNanos();
    int attempt = 0;
    Exception last;
    while (true) {
      attempt++;
      URI base = config.urls().get((attempt - 1) % config.urls().size());
      try {
        HttpURLConnection conn = open(base, method, path, body);
        try {
          int status = conn.getResponseCode();
          String text = readBody(conn, status);
          if (status < 300) {
            return text.isEmpty() ? JSON.createObjectNode() : JSON.readTree(text);
          }
          if (status < 500) {
            throw clientError(method, path, status, text);
          }
          last = new IOException("HTTP " + status + ": " + text);
        } finally {
          conn.disconnect();
        }
      } catch (IOException e) {
        last = e;
      }
      long pause = backoffMillis(attempt);
      long remaining = (deadline - System.nanoTime()) / 1_000_000;
      if (remaining <= 0) {
        throw new SchemaRegistryUnavailableException(String.format(
            "schema registry at %s unreachable: %s %s failed %d time(s) within %d ms; last error: %s",
            describe(), method, path, attempt, config.retryTimeout().toMillis(), last), last);
      }
      LOG.warn("schema registry {} {} {} failed (attempt {}), retrying in {} ms: {}",
          base, method, path, attempt, Math.min(pause, remaining), last.toString());
      try {
        Thread.sleep(Math.min(pause, remaining));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryUnavailableException("interrupted while retrying schema registry at " + base, e);
      }
    }
  }

  /** Exponential backoff with ±20% jitter: backoff, 2×, 4×, … capped at the configured maximum. */
  private long backoffMillis(int attempt) {
    double base = Math.min(config.retryBackoffMax().toMillis(),
        config.retryBackoff().toMillis() * Math.pow(2, Math.min(attempt - 1, 30)));
    return Math.max(1, Math.round(base * ThreadLocalRandom.current().nextDouble(0.8, 1.2)));
  }

  /** Opens one HTTP exchange (java.net's client: synchronous, no background threads to own). */
  private HttpURLConnection open(URI base, String method, String path, String body) throws IOException {
    HttpURLConnection conn = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
    int timeout = (int) Math.min(Integer.MAX_VALUE, config.requestTimeout().toMillis());
    conn.setConnectTimeout(timeout);
    conn.setReadTimeout(timeout);
    conn.setRequestMethod(method);
    conn.setRequestProperty("Accept", CONTENT_TYPE + ", application/json");
    if (authHeader != null) {
      conn.setRequestProperty("Authorization", authHeader);
    }
    if (body != null) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      conn.setDoOutput(true);
      conn.setFixedLengthStreamingMode(bytes.length);
      conn.setRequestProperty("Content-Type", CONTENT_TYPE);
      try (OutputStream out = conn.getOutputStream()) {
        out.write(bytes);
      }
    }
    return conn;
  }

  private static String readBody(HttpURLConnection conn, int status) throws IOException {
    try (InputStream in = status < 400 ? conn.getInputStream() : conn.getErrorStream()) {
      return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private SchemaRegistryException clientError(String method, String path, int status, String body) {
    int code = status;
    String message = body;
    try {
      JsonNode node = JSON.readTree(body);
      code = node.path("error_code").asInt(status);
      message = node.path("message").asText(body);
    } catch (IOException | RuntimeException notJson) {
      // keep the raw body as the message
    }
    String text = String.format("schema registry %s rejected %s %s: HTTP %d, error %d: %s", describe(), method, path, status, code, message);
    return switch (status) {
      case 409 -> new SchemaRegistryException.IncompatibleSchemaException(text, code);
      case 422 -> new SchemaRegistryException.InvalidSchemaException(text, code);
      case 404 -> new SchemaRegistryException.NotFoundException(text, code);
      default -> new SchemaRegistryException(text, status, code);
    };
  }
}
