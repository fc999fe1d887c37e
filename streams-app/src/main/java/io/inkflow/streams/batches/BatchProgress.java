package io.inkflow.streams.batches;

import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.Verdict;
import io.inkflow.streams.common.VersionedSerde;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A batch's counters in the batch store.
 *
 * @param expected requests the batch announced, or -1 until its announcement is seen
 * @param received distinct requests with a result
 * @param completed COMPLETED requests
 * @param partial PARTIAL requests
 * @param failed FAILED requests
 * @param rejected REJECTED requests
 * @param imagesGenerated images that were scored (so reached S3 and could be read)
 * @param badCases images judged BAD_CASE
 * @param done whether the batch's result is out
 * @param lastAt when it last changed (or finished), wall clock ms
 */
record BatchProgress(int expected, int received, int completed, int partial, int failed, int rejected,
    int imagesGenerated, int badCases, boolean done, long lastAt) {

  static final BatchProgress EMPTY = new BatchProgress(-1, 0, 0, 0, 0, 0, 0, 0, false, 0);

  BatchProgress withExpected(int n, long now) {
    return new BatchProgress(n, received, completed, partial, failed, rejected, imagesGenerated, badCases, done, now);
  }

  BatchProgress add(RequestResult r, long now) {
    int images = 0;
    int bad = 0;
    for (RankedVariant v : r.getVariants()) {
      if (v.getVerdict() == Verdict.ACCEPTED || v.getVerdict() == Verdict.BAD_CASE) {
        images++;
      }
      if (v.getVerdict() == Verdict.BAD_CASE) {
        bad++;
      }
    }
    return switch (r.getStatus()) {
      case COMPLETED -> new BatchProgress(expected, received + 1, completed + 1, partial, failed, rejected, imagesGenerated + images, badCases + bad, done, now);
      case PARTIAL -> new BatchProgress(expected, received + 1, completed, partial + 1, failed, rejected, imagesGenerated + images, badCases + bad, done, now);
      case REJECTED -> new BatchProgress(expected, received + 1, completed, partial, failed, rejected + 1, imagesGenerated + images, badCases + bad, done, now);
      default -> new BatchProgress(expected, received + 1, completed, partial, failed + 1, rejected, imagesGenerated + images, badCases + bad, done, now);
    };
  }

  boolean complete() {
    return !done && expected >= 0 && received >= expected;
  }

  BatchProgress finished(long now) {
    return new BatchProgress(expected, received, completed, partial, failed, rejected, imagesGenerated, badCases, true, now);
  }

  /** Bytes of the unversioned layout (version 1): the same fields, 8 ints, a flag and a long. */
  private static final int LEGACY_LENGTH = 8 * 4 + 1 + 8;

  /**
   * The store codec: version byte 2, then the fields. Version 1 had no version byte; its first byte is
   * the top byte of {@code expected} (0x00, or 0xFF for -1) and it is exactly 41 bytes long, so it is
   * still read and a changelog written before the version byte restores.
   */
  static final VersionedSerde<BatchProgress> SERDE = new VersionedSerde<>("batch progress", 2) {
    @Override
    protected void write(BatchProgress p, DataOutputStream out) throws IOException {
      out.write(fields(p));
    }

    @Override
    protected BatchProgress read(int version, DataInputStream in) throws IOException {
      if (version != 2) {
        throw unknownVersion(version);
      }
      return fromFields(ByteBuffer.wrap(in.readNBytes(LEGACY_LENGTH)));
    }

    @Override
    protected BatchProgress readLegacy(byte[] data) {
      return data.length == LEGACY_LENGTH && (data[0] == 0 || data[0] == (byte) 0xff) ? fromFields(ByteBuffer.wrap(data)) : null;
    }
  };

  private static byte[] fields(BatchProgress p) {
    ByteBuffer b = ByteBuffer.allocate(LEGACY_LENGTH);
    b.putInt(p.expected).putInt(p.received).putInt(p.completed).putInt(p.partial).putInt(p.failed).putInt(p.rejected)
        .putInt(p.imagesGenerated).putInt(p.badCases).put((byte) (p.done ? 1 : 0)).putLong(p.lastAt);
    return b.array();
  }

  private static BatchProgress fromFields(ByteBuffer b) {
    return new BatchProgress(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(),
        b.getInt(), b.get() == 1, b.getLong());
  }
}
