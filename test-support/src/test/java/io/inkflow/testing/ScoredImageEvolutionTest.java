package io.inkflow.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.TextMatch;
import io.inkflow.avro.TextRenderingMetrics;
import io.inkflow.avro.Verdict;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

/**
 * The scored image's optional text-rendering metrics keep old and new readers working: a reader with
 * the schema before them ({@code previous/ScoredImage.avsc}) reads new records, and today's reader
 * reads old ones with the metrics null.
 */
class ScoredImageEvolutionTest {

  private static Schema previousSchema() throws IOException {
    Schema.Parser parser = new Schema.Parser();
    // The types the scored image refers to by name are unchanged.
    parser.parse(GeneratedImage.getClassSchema().toString());
    parser.parse(Verdict.getClassSchema().toString());
    try (InputStream in = ScoredImageEvolutionTest.class.getResourceAsStream("/previous/ScoredImage.avsc")) {
      return parser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static ScoredImage scored(TextRenderingMetrics text) {
    return ScoredImage.newBuilder()
        .setImage(ExampleEvents.image())
        .setScores(List.of())
        .setRewardPackId("mini-reward-ppocr")
        .setRewardPackVersion("1.0.0")
        .setOverallScore(0.7)
        .setVerdict(Verdict.BAD_CASE)
        .setReasonCodes(List.of("TEXT_MISSING"))
        .setScoredAt(Instant.ofEpochMilli(1_700_000_000_000L))
        .setTextRendering(text)
        .build();
  }

  private static byte[] write(ScoredImage s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(ScoredImage.class).write(s, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  @Test
  void theSchemasAreMutuallyCompatible() throws IOException {
    Schema previous = previousSchema();
    Schema current = ScoredImage.getClassSchema();
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(previous, current).getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, previous).getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void aReaderWithThePreviousSchemaReadsANewRecord() throws IOException {
    ScoredImage s = scored(TextRenderingMetrics.newBuilder().setHead("ppocr").setAccuracy(0.5).setHitRate(0.5)
        .setAvailable(false).setAvailabilityThreshold(0.8).setLinesRead(List.of("开业"))
        .setTexts(List.of(new TextMatch("开业大吉", "开业", 0.5, 0.5))).build());
    GenericRecord read = new GenericDatumReader<GenericRecord>(ScoredImage.getClassSchema(), previousSchema())
        .read(null, DecoderFactory.get().binaryDecoder(write(s), null));
    assertThat(read.getSchema().getField("textRendering")).isNull();
    assertThat(read.get("overallScore")).isEqualTo(0.7);
    assertThat(read.get("reasonCodes").toString()).contains("TEXT_MISSING");
  }

  @Test
  void todaysReaderReadsAnOldRecordWithTheMetricsNull() throws IOException {
    Schema previous = previousSchema();
    GenericRecord asCurrent = new GenericDatumReader<GenericRecord>(ScoredImage.getClassSchema())
        .read(null, DecoderFactory.get().binaryDecoder(write(scored(null)), null));
    GenericData.Record old = new GenericData.Record(previous);
    for (Schema.Field f : previous.getFields()) {
      old.put(f.name(), asCurrent.get(f.name()));
    }
    ByteArrayOutputStream oldBytes = new ByteArrayOutputStream();
    BinaryEncoder oldEncoder = EncoderFactory.get().binaryEncoder(oldBytes, null);
    new GenericDatumWriter<GenericRecord>(previous).write(old, oldEncoder);
    oldEncoder.flush();

    ScoredImage read = new SpecificDatumReader<ScoredImage>(previous, ScoredImage.getClassSchema())
        .read(null, DecoderFactory.get().binaryDecoder(oldBytes.toByteArray(), null));
    assertThat(read.getTextRendering()).isNull();
    assertThat(read.getRewardPackId()).isEqualTo("mini-reward-ppocr");
    assertThat(read.getVerdict()).isEqualTo(Verdict.BAD_CASE);
  }
}
