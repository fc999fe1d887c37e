package io.inkflow.workers.generate;

import io.inkflow.avro.GenerationJob;
import java.util.List;

/**
 * Claims persisted before inference, so that a job whose inference or delivery killed the process is
 * recognised when it is redelivered. A claim names the job id and attempt, whether the job ran alone,
 * and whether it was still rendering or already being delivered (PNG, upload, report).
 */
public interface ClaimStore {
  /** What a job was doing when its process died. */
  enum Claim {
    NONE, IN_BATCH, ALONE, DELIVERING, DELIVERING_ALONE;

    /** Whether the job ran as a suspect of its own, so that dying again convicts it. */
    public boolean alone() {
      return this == ALONE || this == DELIVERING_ALONE;
    }

    /** What the worker was doing with the job, for logs and dead letters. */
    public String activity() {
      return switch (this) {
        case NONE -> "nothing";
        case IN_BATCH -> "rendering it in a batch";
        case ALONE -> "rendering it alone";
        case DELIVERING -> "delivering it (PNG, upload, report) after rendering it in a batch";
        case DELIVERING_ALONE -> "delivering it (PNG, upload, report) after rendering it alone";
      };
    }
  }

  /** Records that these jobs are about to be rendered together ({@code alone} when the batch is just one suspect). */
  void claim(List<GenerationJob> jobs, boolean alone);

  /** Records that a job rendered and is now being delivered. */
  void delivering(GenerationJob job, boolean alone);

  /** Removes the claim of a job that reached a terminal outcome or was re-queued. */
  void release(GenerationJob job);

  /** The claim a previous process left on this job id and attempt. */
  Claim find(GenerationJob job);

  /** No claims: a job that kills the process is retried forever. */
  static ClaimStore none() {
    return new ClaimStore() {
      @Override
      public void claim(List<GenerationJob> jobs, boolean alone) {}

      @Override
      public void delivering(GenerationJob job, boolean alone) {}

      @Override
      public void release(GenerationJob job) {}

      @Override
      public Claim find(GenerationJob job) {
        return Claim.NONE;
      }
    };
  }
}
