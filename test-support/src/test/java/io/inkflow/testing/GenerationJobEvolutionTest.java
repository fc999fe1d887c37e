package io.inkflow.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.SchedulerChoice;
import io.inkflow.avro.Size;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
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
 * The job's new optional fields (scheduler, pipeline notes, safetyChecked) keep old and new readers
 * working: a reader with the schema before them reads new jobs, and today's reader reads old ones.
 */
class GenerationJobEvolutionTest {

  private static Schema previousSchema() throws IOException {
    Schema.Parser parser = new Schema.Parser();
    // The types the job refers to by name are unchanged.
    parser.parse(PromptRequest.getClassSchema().toString());
    parser.parse(Size.getClassSchema().toString());
    try (InputStream in = GenerationJobEvolutionTest.class.getResourceAsStream("/previous/GenerationJob.avsc")) {
      return parser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  private static GenerationJob newJob() {
    return GenerationJob.newBuilder(ExampleEvents.job())
        .setScheduler(new SchedulerChoice("EulerDiscreteScheduler", "leading", "PNDMScheduler"))
        .setPipelineNotes(Map.of("negativePromptIgnored", "guidance 1.0 runs no unconditional rows"))
        .build();
  }

  @Test
  void theSchemasAreMutuallyCompatible() throws IOException {
    Schema previous = previousSchema();
    Schema current = GenerationJob.getClassSchema();
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(previous, current).getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(current, previous).getType())
        .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void aReaderWithThePreviousSchemaReadsANewJob() throws IOException {
    GenerationJob job = newJob();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(GenerationJob.class).write(job, encoder);
    encoder.flush();

    Schema previous = previousSchema();
    GenericRecord read = new GenericDatumReader<GenericRecord>(GenerationJob.getClassSchema(), previous)
        .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    assertThat(read.getSchema().getField("scheduler")).isNull();
    assertThat(read.get("jobId").toString()).isEqualTo(job.getJobId());
    assertThat(read.get("rewrittenPrompt").toString()).isEqualTo(job.getRewrittenPrompt());
    assertThat(read.get("seed")).isEqualTo(job.getSeed());
  }

  @Test
  void todaysReaderReadsAnOldJobWithTheDefaults() throws IOException {
    Schema previous = previousSchema();
    GenerationJob job = ExampleEvents.job();
    // Write with the previous schema, field by field from today's record.
    GenericData.Record old = new GenericData.Record(previous);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
    new SpecificDatumWriter<>(GenerationJob.class).write(job, encoder);
    encoder.flush();
    GenericRecord asCurrent = new GenericDatumReader<GenericRecord>(GenerationJob.getClassSchema())
        .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    for (Schema.Field f : previous.getFields()) {
      old.put(f.name(), asCurrent.get(f.name()));
    }
    ByteArrayOutputStream oldBytes = new ByteArrayOutputStream();
    BinaryEncoder oldEncoder = EncoderFactory.get().binaryEncoder(oldBytes, null);
    new GenericDatumWriter<GenericRecord>(previous).write(old, oldEncoder);
    oldEncoder.flush();

    GenerationJob read = new SpecificDatumReader<GenerationJob>(previous, GenerationJob.getClassSchema())
        .read(null, DecoderFactory.get().binaryDecoder(oldBytes.toByteArray(), null));
    assertThat(read.getScheduler()).isNull();
    assertThat(read.getPipelineNotes()).isEmpty();
    assertThat(read.getSafetyChecked()).isFalse();
    assertThat(read.getJobId()).isEqualTo(job.getJobId());
  }
}
