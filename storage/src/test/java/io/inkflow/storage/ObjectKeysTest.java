package io.inkflow.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {

  @Test
  void keysAreDeterministicAndSafe() {
    assertThat(ObjectKeys.image("catalog-1", "TEA-001", 2, 44)).isEqualTo("images/catalog-1/TEA-001/2-44.png");
    assertThat(ObjectKeys.image(null, "r1", 0, 1)).isEqualTo("images/_standalone/r1/0-1.png");
    assertThat(ObjectKeys.manifest("b1")).isEqualTo("manifests/b1/manifest.jsonl");
    for (String hostile : List.of("../../etc/passwd", "..", ".", "a/b", "a\\b", "", "x\u0000y", "%2e%2e", "春")) {
      String key = ObjectKeys.image(hostile, hostile, 0, 0);
      assertThat(key.split("/")).as(hostile).hasSize(4).allSatisfy(seg -> assertThat(seg).isNotEmpty().isNotIn(".", ".."));
      assertThat(key).as(hostile).matches("[A-Za-z0-9._/-]+").doesNotContain("..");
    }
    String longA = "a".repeat(300) + "1";
    String longB = "a".repeat(300) + "2";
    assertThat(ObjectKeys.segment(longA)).hasSize(ObjectKeys.MAX_SEGMENT).isNotEqualTo(ObjectKeys.segment(longB));
  }

  @Test
  void noBatchIdCanNameTheStandalonePrefix() {
    // Ids that look like the reserved segment, or would be sanitised into it, get a digest instead.
    for (String id : List.of("_standalone", "_standalone ", "/standalone", "?standalone", "_single", "_", "__")) {
      assertThat(ObjectKeys.segment(id)).as(id).isNotEqualTo(ObjectKeys.STANDALONE).matches("[A-Za-z0-9._-]+");
      assertThat(ObjectKeys.image(id, "r1", 0, 1)).as(id).doesNotStartWith("images/" + ObjectKeys.STANDALONE + "/");
    }
    // Ids with '_' elsewhere stay readable.
    assertThat(ObjectKeys.segment("catalog_1")).isEqualTo("catalog_1");
  }

  @Test
  void differentIdsNeverShareASegment() {
    // Each group would collapse to one segment if only unsafe characters were replaced, or if long ids
    // were told apart by String.hashCode ("Aa" and "BB" share one).
    List<List<String>> groups = List.of(
        List.of("a/b", "a_b", "a\\b", "a b", "a?b"),
        List.of("..x", "__x", "._x", "_.x"),
        List.of(".", "..", "_", "__"),
        List.of("x".repeat(200) + "Aa", "x".repeat(200) + "BB"),
        List.of("x".repeat(128), "x".repeat(129), "x".repeat(111) + "-" + "0".repeat(16)),
        List.of("春", "夏", "_"));
    for (List<String> ids : groups) {
      assertThat(ids.stream().map(ObjectKeys::segment).distinct().count()).as(ids.toString()).isEqualTo(ids.size());
      assertThat(ids).allSatisfy(id -> assertThat(ObjectKeys.segment(id)).hasSizeLessThanOrEqualTo(ObjectKeys.MAX_SEGMENT)
          .matches("[A-Za-z0-9._-]+").isNotIn(".", "..").doesNotStartWith("."));
    }
    // Safe ids are their own segment, so keys stay readable.
    assertThat(ObjectKeys.segment("catalog-1.TEA_001")).isEqualTo("catalog-1.TEA_001");
  }

  @Test
  void metadataValuesAreHeaderSafeAndReadBack() {
    assertThat(ObjectKeys.toMetadata("catalog-1.TEA_001-0")).isEqualTo("catalog-1.TEA_001-0");
    for (String raw : List.of("春/夏-0", "a b+c%20d", "line\r\nX-Injected: 1", "é", "")) {
      String value = ObjectKeys.toMetadata(raw);
      assertThat(value).as(raw).matches("[\\x21-\\x7e]*");
      assertThat(ObjectKeys.fromMetadata(value)).isEqualTo(raw);
    }
  }

  @Test
  void urisRoundTrip() {
    String uri = ObjectKeys.uri("inkflow-images", "images/b/r/0-1.png");
    assertThat(uri).isEqualTo("s3://inkflow-images/images/b/r/0-1.png");
    assertThat(ObjectKeys.parse(uri)).isEqualTo(new ObjectKeys.Location("inkflow-images", "images/b/r/0-1.png"));
    assertThatThrownBy(() -> ObjectKeys.parse("http://x/y")).hasMessageContaining("expected s3://bucket/key");
    assertThatThrownBy(() -> ObjectKeys.parse("s3://bucket/")).hasMessageContaining("expected s3://bucket/key");
  }

  @Test
  void settingsComeFromTheEnvironmentAndHideTheSecret() {
    S3Settings s = S3Settings.fromEnv(Map.of("INKFLOW_S3_ENDPOINT", "http://127.0.0.1:9000", "INKFLOW_S3_BUCKET", "imgs",
        "INKFLOW_S3_ACCESS_KEY", "ak", "INKFLOW_S3_SECRET_KEY", "sk-secret"));
    assertThat(s.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9000"));
    assertThat(s.pathStyle()).isTrue();
    assertThat(s.toString()).contains("ak:****").doesNotContain("sk-secret");
    S3Settings aws = S3Settings.fromEnv(Map.of());
    assertThat(aws.endpoint()).isNull();
    assertThat(aws.pathStyle()).isFalse();
    assertThat(aws.bucket()).isEqualTo(S3Settings.DEFAULT_BUCKET);
    assertThat(aws.toString()).contains("default chain");
    assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("INKFLOW_S3_ACCESS_KEY", "only")))
        .hasMessageContaining("together");
    assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("INKFLOW_S3_BUCKET", "Bad_Bucket")))
        .hasMessageContaining("valid S3 bucket name");
  }

  @Test
  void anHttpsEndpointIsTakenAsIs() {
    // TLS to an S3-compatible store: an https endpoint; its CA comes from the JVM trust store (javax.net.ssl.trustStore).
    S3Settings s = S3Settings.fromEnv(Map.of("INKFLOW_S3_ENDPOINT", "https://minio.internal:9000", "INKFLOW_S3_ACCESS_KEY", "ak",
        "INKFLOW_S3_SECRET_KEY", "sk"));
    assertThat(s.endpoint()).isEqualTo(URI.create("https://minio.internal:9000"));
    try (var client = S3Clients.create(s)) {
      assertThat(client.serviceClientConfiguration().endpointOverride()).contains(URI.create("https://minio.internal:9000"));
    }
    assertThatThrownBy(() -> S3Settings.fromEnv(Map.of("INKFLOW_S3_ENDPOINT", "ftp://minio:21")))
        .hasMessageContaining("expected an http(s) URL");
  }
}
