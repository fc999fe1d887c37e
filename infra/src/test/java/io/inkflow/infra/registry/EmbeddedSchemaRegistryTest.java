package io.inkflow.infra.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.PromptRequest;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.schemas.registry.SchemaRegistryException;
import io.inkflow.schemas.serde.AvroSerializer;
import io.inkflow.testing.ExampleEvents;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSchemaRegistryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  private JsonNode call(EmbeddedSchemaRegistry r, String method, String path, String body, int expectStatus) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(r.url() + path))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).as(method + " " + path + " -> " + resp.body()).isEqualTo(expectStatus);
    return JSON.readTree(resp.body());
  }

  private static String body(Schema s) {
    return JSON.createObjectNode().put("schema", s.toString()).toString();
  }

  @Test
  void aPausedRegistryRefusesConnectionsAndResumesOnTheSamePortWithItsSchemas() throws Exception {
    try (EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.start()) {
      int id = call(r, "POST", "/subjects/prompt-requests-value/versions", body(PromptRequest.getClassSchema()), 200).get("id").asInt();
      String url = r.url();
      r.pause();
      assertThatThrownBy(() -> call(r, "GET", "/schemas/ids/" + id, null, 200)).isInstanceOf(java.net.ConnectException.class);
      r.pause(); // idempotent
      r.resume();
      assertThat(r.url()).isEqualTo(url);
      assertThat(new Schema.Parser().parse(call(r, "GET", "/schemas/ids/" + id, null, 200).get("schema").asText()))
          .isEqualTo(PromptRequest.getClassSchema());
    }
  }

  @Test
  void speaksTheConfluentRestSubset() throws Exception {
    try (EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.start()) {
      assertThat(r.url()).startsWith("http://127.0.0.1:");
      int id = call(r, "POST", "/subjects/prompt-requests-value/versions", body(PromptRequest.getClassSchema()), 200).get("id").asInt();
      // The same schema under another subject shares its id; registering again is idempotent.
      assertThat(call(r, "POST", "/subjects/other-value/versions", body(PromptRequest.getClassSchema()), 200).get("id").asInt()).isEqualTo(id);
      assertThat(call(r, "POST", "/subjects/prompt-requests-value/versions", body(PromptRequest.getClassSchema()), 200).get("id").asInt()).isEqualTo(id);

      assertThat(new Schema.Parser().parse(call(r, "GET", "/schemas/ids/" + id, null, 200).get("schema").asText()))
          .isEqualTo(PromptRequest.getClassSchema());
      assertThat(call(r, "GET", "/schemas/ids/" + id + "/subjects", null, 200).toString()).contains("prompt-requests-value", "other-value");
      assertThat(call(r, "GET", "/subjects", null, 200).toString()).isEqualTo("[\"other-value\",\"prompt-requests-value\"]");
      assertThat(call(r, "GET", "/subjects/prompt-requests-value/versions", null, 200).toString()).isEqualTo("[1]");
      JsonNode latest = call(r, "GET", "/subjects/prompt-requests-value/versions/latest", null, 200);
      assertThat(latest.get("version").asInt()).isEqualTo(1);
      assertThat(latest.get("id").asInt()).isEqualTo(id);
      assertThat(call(r, "POST", "/subjects/prompt-requests-value", body(PromptRequest.getClassSchema()), 200).get("id").asInt()).isEqualTo(id);

      assertThat(call(r, "GET", "/schemas/ids/999", null, 404).get("error_code").asInt()).isEqualTo(40403);
      assertThat(call(r, "GET", "/subjects/nope-value/versions", null, 404).get("error_code").asInt()).isEqualTo(40401);
      assertThat(call(r, "GET", "/subjects/prompt-requests-value/versions/7", null, 404).get("error_code").asInt()).isEqualTo(40402);
      assertThat(call(r, "GET", "/subjects/prompt-requests-value/versions/x", null, 422).get("error_code").asInt()).isEqualTo(42202);
      assertThat(call(r, "POST", "/subjects/bad-value/versions", "{\"schema\":\"{not avro\"}", 422).get("error_code").asInt()).isEqualTo(42201);
      assertThat(call(r, "POST", "/subjects/bad-value/versions", "{\"schema\":\"{}\",\"schemaType\":\"PROTOBUF\"}", 422).get("error_code").asInt()).isEqualTo(42201);

      assertThat(call(r, "GET", "/config", null, 200).get("compatibilityLevel").asText()).isEqualTo("BACKWARD");
      assertThat(call(r, "PUT", "/config/other-value", "{\"compatibility\":\"full\"}", 200).get("compatibility").asText()).isEqualTo("FULL");
      assertThat(call(r, "GET", "/config/other-value", null, 200).get("compatibilityLevel").asText()).isEqualTo("FULL");
      assertThat(call(r, "PUT", "/config", "{\"compatibility\":\"SIDEWAYS\"}", 422).get("error_code").asInt()).isEqualTo(42203);

      assertThat(call(r, "DELETE", "/subjects/other-value", null, 200).toString()).isEqualTo("[1]");
      assertThat(call(r, "GET", "/subjects", null, 200).toString()).isEqualTo("[\"prompt-requests-value\"]");
      // Soft delete: the id still resolves for consumers of old records.
      call(r, "GET", "/schemas/ids/" + id, null, 200);
    }
  }

  @Test
  void compatibilityRulesFollowTheSubjectLevel() throws Exception {
    Schema v1 = SchemaBuilder.record("Thing").namespace("t").fields().requiredString("a").endRecord();
    Schema addDefaulted = SchemaBuilder.record("Thing").namespace("t").fields().requiredString("a").name("b").type().intType().intDefault(0).endRecord();
    Schema addRequired = SchemaBuilder.record("Thing").namespace("t").fields().requiredString("a").requiredInt("c").endRecord();
    Schema dropA = SchemaBuilder.record("Thing").namespace("t").fields().name("b").type().intType().intDefault(0).endRecord();
    try (EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.start();
         RestSchemaRegistryClient c = new RestSchemaRegistryClient(RegistryClientConfig.of(r.url()))) {
      c.register("s-value", v1);
      assertThat(c.testCompatibility("s-value", addDefaulted)).isTrue();
      assertThat(c.testCompatibility("s-value", addRequired)).isFalse();
      assertThat(c.testCompatibility("fresh-value", addRequired)).isTrue();
      c.register("s-value", addDefaulted);
      // BACKWARD (not transitive) compares with the latest version only: dropping 'a' is fine for a reader.
      assertThat(c.testCompatibility("s-value", dropA)).isTrue();

      call(r, "PUT", "/config/f-value", "{\"compatibility\":\"FORWARD\"}", 200);
      c.register("f-value", v1);
      // Under FORWARD, old readers must read new data: dropping the required field 'a' breaks them.
      assertThatThrownBy(() -> c.register("f-value", dropA))
          .isInstanceOf(SchemaRegistryException.IncompatibleSchemaException.class)
          .hasMessageContaining("FORWARD");
      call(r, "PUT", "/config/n-value", "{\"compatibility\":\"NONE\"}", 200);
      c.register("n-value", v1);
      c.register("n-value", addRequired);
    }
  }

  @Test
  void aJournalKeepsIdsAcrossRestarts(@TempDir Path dir) throws Exception {
    Path journal = dir.resolve("registry/schemas.jsonl");
    int promptId;
    int batchId;
    try (EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.start(0, CompatibilityLevel.BACKWARD, journal);
         RestSchemaRegistryClient c = new RestSchemaRegistryClient(RegistryClientConfig.of(r.url()))) {
      promptId = c.register("prompt-requests-value", PromptRequest.getClassSchema());
      batchId = c.register("batches-value", BatchSubmitted.getClassSchema());
      call(r, "PUT", "/config/batches-value", "{\"compatibility\":\"FULL\"}", 200);
    }
    // A crash mid-append leaves a torn last line; it is dropped, the rest replays.
    Files.writeString(journal, "{\"op\":\"regis", java.nio.file.StandardOpenOption.APPEND);
    try (EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.start(0, CompatibilityLevel.BACKWARD, journal);
         RestSchemaRegistryClient c = new RestSchemaRegistryClient(RegistryClientConfig.of(r.url()))) {
      assertThat(c.getById(promptId)).isEqualTo(PromptRequest.getClassSchema());
      assertThat(c.getById(batchId)).isEqualTo(BatchSubmitted.getClassSchema());
      assertThat(call(r, "GET", "/config/batches-value", null, 200).get("compatibilityLevel").asText()).isEqualTo("FULL");
      Schema fresh = SchemaBuilder.record("Fresh").fields().requiredString("x").endRecord();
      assertThat(c.register("fresh-value", fresh)).isGreaterThan(Math.max(promptId, batchId));
    }
  }

  // The REST client against this registry (the client's own tests, in schemas, need no registry).

  @Test
  void anIncompatibleSchemaIsRefusedWithAClearError() throws Exception {
    try (EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.start();
         RestSchemaRegistryClient client = new RestSchemaRegistryClient(RegistryClientConfig.of(r.url()))) {
      String topic = "incompatible-test";
      AvroSerializer<BatchSubmitted> serializer = new AvroSerializer<>(BatchSubmitted.class, client, true);
      serializer.serialize(topic, ExampleEvents.batch());
      // A next version that adds a field without a default cannot read the data already written.
      Schema breaking = SchemaBuilder.record("BatchSubmitted").namespace("io.inkflow.avro").fields()
          .requiredString("batchId").requiredInt("expectedCount").requiredString("submitter")
          .requiredString("owner")
          .endRecord();
      assertThatThrownBy(() -> client.register(topic + "-value", breaking))
          .isInstanceOf(SchemaRegistryException.IncompatibleSchemaException.class)
          .hasMessageContaining("HTTP 409")
          .hasMessageContaining("incompatible-test-value")
          .hasMessageContaining("owner");
    }
  }

  @Test
  void aRegistryThatComesBackWithinTheDeadlineIsUsed() throws Exception {
    try (ServerSocket broken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = broken.getLocalPort();
      RegistryClientConfig cfg = RegistryClientConfig.fromMap(Map.of(
          RegistryClientConfig.URL, "http://127.0.0.1:" + port,
          RegistryClientConfig.RETRY_BACKOFF_MS, 20,
          RegistryClientConfig.RETRY_BACKOFF_MAX_MS, 100,
          RegistryClientConfig.RETRY_TIMEOUT_MS, 30_000));
      try (RestSchemaRegistryClient client = new RestSchemaRegistryClient(cfg)) {
        var pending = CompletableFuture.supplyAsync(() -> client.register("prompt-requests-value", PromptRequest.getClassSchema()));
        // The first attempt reaches a server that hangs up without answering: a real failure.
        broken.setSoTimeout(10_000);
        broken.accept().close();
        broken.close();
        try (EmbeddedSchemaRegistry r = EmbeddedSchemaRegistry.start(port, CompatibilityLevel.BACKWARD, null)) {
          assertThat(pending.get(20, TimeUnit.SECONDS)).isPositive();
          assertThat(client.getById(pending.get())).isEqualTo(PromptRequest.getClassSchema());
        }
      }
    }
  }
}
