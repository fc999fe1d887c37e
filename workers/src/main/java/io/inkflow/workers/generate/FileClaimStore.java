package io.inkflow.workers.generate;

import io.inkflow.avro.GenerationJob;
import io.inkflow.common.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Claims as small files in a folder that outlives the process (one file per job id and attempt).
 * Written without fsync: they must survive the process being killed, which the page cache ensures,
 * not the host losing power. Give each worker process (one per GPU) its own folder on a persistent volume.
 */
public final class FileClaimStore implements ClaimStore {
  private final Path dir;

  public FileClaimStore(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("claim folder " + dir + " cannot be created", e);
    }
  }

  @Override
  public void claim(List<GenerationJob> jobs, boolean alone) {
    for (GenerationJob job : jobs) {
      write(job, alone ? Claim.ALONE : Claim.IN_BATCH);
    }
  }

  @Override
  public void delivering(GenerationJob job, boolean alone) {
    write(job, alone ? Claim.DELIVERING_ALONE : Claim.DELIVERING);
  }

  private void write(GenerationJob job, Claim claim) {
    try {
      Files.write(file(job), claim.name().getBytes(StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException("claim of job " + job.getJobId() + " cannot be written", e);
    }
  }

  @Override
  public void release(GenerationJob job) {
    try {
      Files.deleteIfExists(file(job));
    } catch (IOException e) {
      throw new UncheckedIOException("claim of job " + job.getJobId() + " cannot be removed", e);
    }
  }

  @Override
  public Claim find(GenerationJob job) {
    try {
      return Claim.valueOf(Files.readString(file(job), StandardCharsets.US_ASCII).trim());
    } catch (NoSuchFileException e) {
      return Claim.NONE;
    } catch (IOException | IllegalArgumentException e) {
      return Claim.IN_BATCH;
    }
  }

  private Path file(GenerationJob job) {
    // A hash, not the id: ids are user-controlled and sanitising could make two of them collide.
    return dir.resolve(Digests.sha256Hex(job.getJobId()) + "@" + job.getAttempt() + ".claim");
  }
}
