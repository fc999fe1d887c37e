package io.inkflow.infra.worker;

import static io.inkflow.infra.worker.WorkerStack.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.infra.demo.ServiceProcess;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.infra.local.LocalStackConfig;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.workers.generate.GenerationWorkerMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** The real worker {@code main} in a child JVM, killed with SIGKILL mid-batch, restarted, then stopped with SIGTERM. */
class WorkerCrashIT {

  private static ServiceProcess startWorker(Map<String, String> env, Path log) throws Exception {
    return ServiceProcess.start("worker", GenerationWorkerMain.class, env, log, List.of("-Xmx512m", "-XX:+UseSerialGC"), true);
  }

  @Test
  void aWorkerKilledMidBatchLosesNothingAndEachKeyHoldsItsOwnJob(@TempDir Path dir) throws Exception {
    try (LocalStack stack = LocalStack.start(LocalStackConfig.ephemeral().withTopicPrefix("crash-it.").withPartitions(2));
         RestSchemaRegistryClient registry = WorkerStack.registry(stack);
         S3Client s3 = stack.connection().s3Client()) {
      Topics topics = WorkerStack.topics(stack, registry, "crash.");
      List<GenerationJob> jobs = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        jobs.add(job("crash-batch", "req-" + i, 0, 6));
        jobs.add(job("crash-batch", "req-" + i, 1, 6));
      }
      WorkerStack.send(stack, topics, jobs);
      Map<String, String> env = new HashMap<>(WorkerStack.env(stack, "crash.", "crash"));
      env.put("INKFLOW_WORKER_CLAIM_DIR", dir.resolve("claims").toString());
      env.put("INKFLOW_WORKER_MAX_ATTEMPTS", "3");
      // The killed member is noticed after the session timeout; the broker's minimum keeps the restart quick.
      env.put("INKFLOW_KAFKA_CLIENT_SESSION_TIMEOUT_MS", "6000");
      Path log = dir.resolve("worker.log");

      ServiceProcess first = startWorker(env, log);
      try {
        WorkerStack.readUntil(stack, topics.imagesGenerated, Duration.ofSeconds(90), r -> !r.isEmpty());
      } finally {
        first.kill(); // SIGKILL
      }
      assertThat(first.exitValue()).isEqualTo(137);
      String before = Files.readString(log);

      ServiceProcess second = startWorker(env, log);
      try {
        List<ConsumerRecord<byte[], GeneratedImage>> out = WorkerStack.readUntil(stack, topics.imagesGenerated,
            Duration.ofSeconds(120), r -> WorkerStack.distinctJobs(r) >= jobs.size());
        // Every job ends GENERATED (a job finished but not committed before the kill may be reported twice,
        // with the same bytes: consumers dedupe on jobId).
        Map<String, String> shaByJob = new HashMap<>();
        for (ConsumerRecord<byte[], GeneratedImage> r : out) {
          GeneratedImage image = r.value();
          assertThat(image.getStatus()).isEqualTo(ImageStatus.GENERATED);
          String previous = shaByJob.putIfAbsent(image.getJob().getJobId().toString(), image.getSha256().toString());
          assertThat(previous == null || previous.equals(image.getSha256().toString())).isTrue();
        }
        assertThat(shaByJob).hasSize(jobs.size());
        for (GenerationJob job : jobs) {
          String key = ObjectKeys.image("crash-batch", job.getRequest().getRequestId().toString(), job.getVariant(), job.getSeed());
          Map<String, String> metadata = s3.headObject(b -> b.bucket(stack.connection().bucket()).key(key)).metadata();
          assertThat(metadata).containsEntry("job-id", job.getJobId().toString())
              .containsEntry("sha256", shaByJob.get(job.getJobId().toString()));
        }
        assertThat(WorkerStack.readUntil(stack, topics.generationJobsDlq, Duration.ofSeconds(2), r -> true)).isEmpty();
        try (var claims = Files.list(dir.resolve("claims"))) {
          assertThat(claims).as("claims left").isEmpty();
        }

        long t0 = System.nanoTime();
        second.close(); // SIGTERM: drains and exits (SIGKILL only after 60 s)
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("exited within 60 s of SIGTERM").isLessThan(Duration.ofSeconds(60));
        assertThat(second.exitValue()).isEqualTo(143);
        // The batch being rendered when the process died left claims: its jobs were recognised and run alone.
        assertThat(Files.readString(log).substring(before.length())).contains("it runs alone now");
        assertThat(Files.readString(log)).contains("shutdown requested: draining").contains("stopped");
      } finally {
        second.kill();
      }
    }
  }
}
