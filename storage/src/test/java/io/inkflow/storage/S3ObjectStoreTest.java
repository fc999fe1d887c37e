package io.inkflow.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

class S3ObjectStoreTest {
  @TempDir Path dir;
  private final FakeS3 s3 = new FakeS3();
  private final S3ObjectStore store = new S3ObjectStore(s3, "images");

  @Test
  void putsBytesAndFilesIntoItsBucketWithTypeAndMetadata() throws IOException {
    store.put("images/b1/r1/0-1.png", new byte[] {1, 2, 3}, "image/png", Map.of("seed", "1"));
    Path file = Files.writeString(dir.resolve("m.jsonl"), "{}\n");
    store.put("manifests/b1/manifest.jsonl", file, "application/x-ndjson");

    assertThat(s3.puts).hasSize(2);
    PutObjectRequest png = s3.puts.get(0);
    assertThat(png.bucket()).isEqualTo("images");
    assertThat(png.contentType()).isEqualTo("image/png");
    assertThat(png.contentLength()).isEqualTo(3L);
    assertThat(png.metadata()).containsEntry("seed", "1");
    assertThat(s3.objects.get("images/b1/r1/0-1.png")).containsExactly(1, 2, 3);
    assertThat(s3.puts.get(1).contentType()).isEqualTo("application/x-ndjson");
    assertThat(new String(s3.objects.get("manifests/b1/manifest.jsonl"), StandardCharsets.UTF_8)).isEqualTo("{}\n");
    assertThat(store.uri("manifests/b1/manifest.jsonl")).isEqualTo("s3://images/manifests/b1/manifest.jsonl");
  }

  @Test
  void getsWithinTheLimitAndRefusesLargerObjectsAndMissingOnes() {
    s3.objects.put("a.png", new byte[10]);
    assertThat(store.get("s3://images/a.png", 10)).hasSize(10);
    assertThat(s3.gets).containsExactly("images/a.png");
    // Refused on the declared length, and on the bytes when no length is declared.
    assertThatThrownBy(() -> store.get("s3://images/a.png", 9)).isInstanceOf(ObjectTooLargeException.class)
        .hasMessageContaining("expected at most 9 bytes").hasMessageContaining("found 10");
    s3.declareLength = false;
    assertThatThrownBy(() -> store.get("s3://images/a.png", 9)).isInstanceOf(ObjectTooLargeException.class)
        .hasMessageContaining("found more");
    assertThatThrownBy(() -> store.get("s3://images/none.png", 9)).isInstanceOf(ObjectMissingException.class)
        .hasMessageContaining("NoSuchKey");
    assertThatThrownBy(() -> store.get("https://images/a.png", 9)).isInstanceOf(ObjectMissingException.class)
        .hasMessageContaining("expected s3://bucket/key");
  }

  @Test
  void listsAndDeletesKeysUnderAPrefix() {
    s3.objects.put("datasets/a/1.jsonl", new byte[0]);
    s3.objects.put("datasets/a/2.jsonl", new byte[0]);
    s3.objects.put("datasets/b/1.jsonl", new byte[0]);
    assertThat(store.list("datasets/a/")).containsExactly("datasets/a/1.jsonl", "datasets/a/2.jsonl");
    store.delete("datasets/a/1.jsonl");
    assertThat(store.list("datasets/")).containsExactly("datasets/a/2.jsonl", "datasets/b/1.jsonl");
  }

  @Test
  void outagesThrottlingAndServerErrorsAreRetryableClientErrorsAreNot() {
    assertThat(store.isRetryable(s3Error(503))).isTrue();
    assertThat(store.isRetryable(s3Error(500))).isTrue();
    assertThat(store.isRetryable(s3Error(429))).isTrue();
    assertThat(store.isRetryable(s3Error(408))).isTrue();
    assertThat(store.isRetryable(SdkClientException.create("connection refused"))).isTrue();
    assertThat(store.isRetryable(s3Error(403))).isFalse();
    assertThat(store.isRetryable(s3Error(404))).isFalse();
    assertThat(store.isRetryable(new ObjectMissingException("no object"))).isFalse();
    assertThat(store.isRetryable(new IllegalArgumentException("bad key"))).isFalse();
  }

  private static S3Exception s3Error(int status) {
    return (S3Exception) S3Exception.builder().statusCode(status).message("status " + status).build();
  }

  /** A bucket in a map behind the S3Client interface: only the calls S3ObjectStore makes. */
  private static final class FakeS3 implements S3Client {
    final Map<String, byte[]> objects = new HashMap<>();
    final List<PutObjectRequest> puts = new ArrayList<>();
    final List<String> gets = new ArrayList<>();
    boolean declareLength = true;

    @Override
    public PutObjectResponse putObject(PutObjectRequest request, RequestBody body) {
      puts.add(request);
      try (var in = body.contentStreamProvider().newStream()) {
        objects.put(request.key(), in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return PutObjectResponse.builder().build();
    }

    @Override
    public ResponseInputStream<GetObjectResponse> getObject(GetObjectRequest request) {
      gets.add(request.bucket() + "/" + request.key());
      byte[] b = objects.get(request.key());
      if (b == null) {
        throw (NoSuchKeyException) NoSuchKeyException.builder().statusCode(404)
            .awsErrorDetails(AwsErrorDetails.builder().errorCode("NoSuchKey").build()).build();
      }
      GetObjectResponse response = GetObjectResponse.builder().contentLength(declareLength ? (long) b.length : null).build();
      return new ResponseInputStream<>(response, new ByteArrayInputStream(b));
    }

    @Override
    public ListObjectsV2Response listObjectsV2(ListObjectsV2Request request) {
      List<S3Object> contents = objects.keySet().stream().filter(k -> k.startsWith(request.prefix())).sorted()
          .map(k -> S3Object.builder().key(k).build()).toList();
      return ListObjectsV2Response.builder().contents(contents).isTruncated(false).build();
    }

    @Override
    public DeleteObjectResponse deleteObject(DeleteObjectRequest request) {
      objects.remove(request.key());
      return DeleteObjectResponse.builder().build();
    }

    @Override
    public String serviceName() {
      return "s3";
    }

    @Override
    public void close() {}
  }
}
