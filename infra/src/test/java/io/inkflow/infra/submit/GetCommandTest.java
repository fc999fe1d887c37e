package io.inkflow.infra.submit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code submit get} refuses before it talks to S3; the downloads themselves are in {@link SubmitCliIT}. */
class GetCommandTest {

  private static int get(ByteArrayOutputStream err, String... args) {
    return SubmitCli.run(args, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
  }

  @Test
  void aUriThatIsNotS3BucketKeyIsAUsageError() {
    for (String bad : new String[] {"http://127.0.0.1:9000/inkflow-images/a.png", "s3://inkflow-images", "s3://inkflow-images/", "s3:///a.png"}) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      assertThat(get(err, "get", bad)).as(bad).isEqualTo(2);
      assertThat(err.toString(StandardCharsets.UTF_8)).as(bad).contains("expected s3://bucket/key, found '" + bad + "'");
    }
  }

  @Test
  void aKeyWithNoFileNameNeedsAnOutputFile() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(get(err, "get", "s3://inkflow-images/datasets/")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("the key 'datasets/' has no file name to write to; give one with -o FILE");
  }

  @Test
  void theDefaultFileIsTheKeysLastSegmentInTheCurrentDirectory() {
    assertThat(GetCommand.defaultFile("images/b1/b1.S-1/0-42.png")).isEqualTo(Path.of("0-42.png"));
    assertThat(GetCommand.defaultFile("manifest.jsonl")).isEqualTo(Path.of("manifest.jsonl"));
    assertThat(GetCommand.defaultFile("images/..")).isNull();
    assertThat(GetCommand.defaultFile("images/")).isNull();
  }
}
