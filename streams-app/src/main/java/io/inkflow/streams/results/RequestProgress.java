package io.inkflow.streams.results;

import io.inkflow.avro.ScoredImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A request's state in the aggregation store: the terminal variants so far, or, once its result is
 * out, a marker that turns late variants away.
 *
 * @param done whether the request's result has been emitted
 * @param since when the first variant arrived (open) or when the result was decided (done), wall clock ms
 * @param numVariants how many variants the request fanned out to
 * @param variants the terminal variants received (empty once done)
 */
record RequestProgress(boolean done, long since, int numVariants, List<ScoredImage> variants) {

  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeBoolean(done);
      out.writeLong(since);
      out.writeInt(numVariants);
      out.writeInt(variants.size());
      for (ScoredImage s : variants) {
        ByteBuffer b = s.toByteBuffer();
        out.writeInt(b.remaining());
        out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static RequestProgress decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      boolean done = in.readBoolean();
      long since = in.readLong();
      int numVariants = in.readInt();
      int n = in.readInt();
      List<ScoredImage> variants = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        variants.add(ScoredImage.fromByteBuffer(ByteBuffer.wrap(in.readNBytes(in.readInt()))));
      }
      return new RequestProgress(done, since, numVariants, variants);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
