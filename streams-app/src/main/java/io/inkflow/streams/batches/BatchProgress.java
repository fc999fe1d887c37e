package io.inkflow.streams.batches;

import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.Verdict;
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

  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(8 * 4 + 1 + 8);
    b.putInt(expected).putInt(received).putInt(completed).putInt(partial).putInt(failed).putInt(rejected)
        .putInt(imagesGenerated).putInt(badCases).put((byte) (done ? 1 : 0)).putLong(lastAt);
    return b.array();
  }

  static BatchProgress decode(byte[] data) {
    ByteBuffer b = ByteBuffer.wrap(data);
    return new BatchProgress(b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(), b.getInt(),
        b.getInt(), b.get() == 1, b.getLong());
  }
}
