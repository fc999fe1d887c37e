package io.inkflow.api.submit;

/** Writes a {@link Submission} durably and atomically: when {@link #write} returns, all of it is committed, else none. */
public interface SubmissionSink {
  void write(Submission submission) throws Exception;
}
