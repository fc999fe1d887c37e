package io.inkflow.workers.generate;

import io.inkflow.avro.GenerationJob;
import java.util.List;

/**
 * Claims persisted before inference, so that a job whose inference killed the process is recognised
 * when it is redelivered. A claim names the job id and attempt, and whether the job ran alone.
 */
public interface ClaimStore {
  /** How a job was running when its process died. */
  enum Claim { NONE, IN_BATCH, ALONE }

  /** Records that these jobs are about to be rendered together ({@code alone} when the batch is just one suspect). */
  void claim(List<GenerationJob> jobs, boolean alone);

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
      public void release(GenerationJob job) {}

      @Override
      public Claim find(GenerationJob job) {
        return Claim.NONE;
      }
    };
  }
}
