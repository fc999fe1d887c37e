package io.inkflow.streams.results;

import io.inkflow.avro.ScoredImage;
import io.inkflow.streams.common.VersionedSerde;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
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

  /**
   * The store codec: version byte 2, then done, since, numVariants and each variant as its Avro
   * single-object encoding. Version 1 was the same fields without a version byte (its first byte, the
   * done flag, is 0 or 1); it is still read, so a changelog written before the version byte restores.
   */
  static final VersionedSerde<RequestProgress> SERDE = new VersionedSerde<>("request progress", 2) {
    @Override
    protected void write(RequestProgress p, DataOutputStream out) throws IOException {
      writeFields(p, out);
    }

    @Override
    protected RequestProgress read(int version, DataInputStream in) throws IOException {
      if (version != 2) {
        throw unknownVersion(version);
      }
      return readFields(in);
    }

    @Override
    protected RequestProgress readLegacy(byte[] data) throws IOException {
      if (data.length == 0 || (data[0] != 0 && data[0] != 1)) {
        return null;
      }
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
        return readFields(in);
      }
    }
  };

  private static void writeFields(RequestProgress p, DataOutputStream out) throws IOException {
    out.writeBoolean(p.done);
    out.writeLong(p.since);
    out.writeInt(p.numVariants);
    out.writeInt(p.variants.size());
    for (ScoredImage s : p.variants) {
      ByteBuffer b = s.toByteBuffer();
      out.writeInt(b.remaining());
      out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
    }
  }

  private static RequestProgress readFields(DataInputStream in) throws IOException {
    boolean done = in.readBoolean();
    long since = in.readLong();
    int numVariants = in.readInt();
    int n = in.readInt();
    List<ScoredImage> variants = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      variants.add(ScoredImage.fromByteBuffer(ByteBuffer.wrap(in.readNBytes(in.readInt()))));
    }
    return new RequestProgress(done, since, numVariants, variants);
  }
}
