package io.inkflow.streams.rewrite;

import io.inkflow.avro.PromptRequest;
import io.inkflow.common.Digests;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.TreeMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * A request's identity: the SHA-256 of its canonical form, which is its Avro binary encoding with
 * submittedAt zeroed and tags in key order. Resubmitting the same request later is a duplicate;
 * changing anything else (prompt, size, seed, tags, …) makes a different request.
 */
public final class RequestIdentity {
  private static final SpecificDatumWriter<PromptRequest> WRITER = new SpecificDatumWriter<>(PromptRequest.getClassSchema());

  private RequestIdentity() {}

  /** Hex SHA-256 of the canonical form. */
  public static String of(PromptRequest request) {
    // A shallow copy: the builder's deep copy of every field costs more than the hash.
    PromptRequest canonical = new PromptRequest();
    for (Schema.Field f : PromptRequest.getClassSchema().getFields()) {
      canonical.put(f.pos(), request.get(f.pos()));
    }
    canonical.setSubmittedAt(Instant.EPOCH);
    canonical.setTags(new TreeMap<>(request.getTags()));
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      WRITER.write(canonical, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode request " + request.getRequestId(), e);
    }
    return HexFormat.of().formatHex(Digests.sha256(out.toByteArray()));
  }
}
