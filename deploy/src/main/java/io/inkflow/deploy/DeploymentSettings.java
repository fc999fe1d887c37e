package io.inkflow.deploy;

import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What one Kubernetes deployment of inkflow chooses: where it runs, which images, how its topics are
 * sized, how many instances of each service, and the GPU figures the worker's autoscaling and shutdown
 * grace are derived from. {@link #production()} is the deployment whose manifests are committed under
 * {@code deploy/k8s/}.
 *
 * @param namespace the namespace every object lives in
 * @param kafkaCluster name of the Strimzi {@code Kafka} (its bootstrap service is {@code <name>-kafka-bootstrap})
 * @param brokers broker nodes (KRaft), besides {@code controllers} dedicated controller nodes
 * @param controllers KRaft controller nodes
 * @param brokerStorage size of each broker's volume
 * @param imageRepository where the service images are pushed ({@code <repository>/inkflow-worker:<tag>})
 * @param imageTag the images' tag (the project version)
 * @param topicPrefix {@code INKFLOW_TOPIC_PREFIX}
 * @param topics partitions, replication factor and min ISR of the topics
 * @param registryUrl the Confluent-API schema registry the services use (not deployed by these manifests)
 * @param s3Bucket the images bucket
 * @param s3Endpoint an S3-compatible endpoint, or null for AWS's own
 * @param awsRegion the bucket's region
 * @param peReplicas PE-rewrite stream instances
 * @param scoringReplicas scoring stream instances
 * @param standbyReplicas Kafka Streams standby replicas per state store (warm copies on another instance)
 * @param workerMinReplicas fewest GPU workers the autoscaler keeps
 * @param workerMaxReplicas most GPU workers the autoscaler starts; at most the partitions of {@code generation-jobs}
 * @param gpu the published GPU figure the worker's numbers are derived from
 * @param measuredLongestBatch the longest whole batch measured here (docs/benchmarks.md), a floor for {@link #longestBatch()}
 * @param targetBacklog how much work, in seconds of one GPU, the autoscaler lets queue per worker before adding one
 */
public record DeploymentSettings(String namespace, String kafkaCluster, int brokers, int controllers, String brokerStorage,
    String imageRepository, String imageTag, String topicPrefix, TopicSettings topics, String registryUrl, String s3Bucket,
    String s3Endpoint, String awsRegion, int peReplicas, int scoringReplicas, int standbyReplicas, int workerMinReplicas,
    int workerMaxReplicas, GpuFigure gpu, Duration measuredLongestBatch, Duration targetBacklog) {

  /**
   * A published throughput figure of one GPU for the deployed model, and the batch the worker renders.
   *
   * @param model model and resolution, as the source states them
   * @param gpu the GPU
   * @param iterationsPerSecond denoising steps per second at batch 1
   * @param steps steps per image
   * @param batch jobs per inference call ({@code INKFLOW_WORKER_BATCH_SIZE})
   * @param source where the figure is published
   */
  public record GpuFigure(String model, String gpu, double iterationsPerSecond, int steps, int batch, String source) {
    /** Images one GPU renders per second: it/s ÷ steps. */
    public double imagesPerSecond() {
      return iterationsPerSecond / steps;
    }

    /** One batch's render, taken as {@code batch} images back to back (a GPU saturated at batch 1 gains nothing from batching). */
    public Duration batchTime() {
      return Duration.ofNanos(Math.round(batch * steps / iterationsPerSecond * 1e9));
    }
  }

  public DeploymentSettings {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(topics, "topics");
    Objects.requireNonNull(gpu, "gpu");
    if (workerMaxReplicas > topics.partitionsOf(Topics.GENERATION_JOBS)) {
      throw new IllegalArgumentException("workerMaxReplicas " + workerMaxReplicas + " exceeds the " + topics.partitionsOf(Topics.GENERATION_JOBS)
          + " partitions of " + Topics.GENERATION_JOBS + ": workers beyond it would idle (" + TopicSettings.partitionsVariable(Topics.GENERATION_JOBS) + ")");
    }
    if (workerMinReplicas < 1 || workerMinReplicas > workerMaxReplicas) {
      throw new IllegalArgumentException("workerMinReplicas must be 1.." + workerMaxReplicas + ", found " + workerMinReplicas);
    }
    if (topics.replicationFactor() > brokers) {
      throw new IllegalArgumentException("replication factor " + topics.replicationFactor() + " needs at least as many brokers, found " + brokers);
    }
  }

  /**
   * The committed deployment. Topic sizing follows docs/scaling.md: up to 24 GPUs, {@code generation-jobs}
   * at 2 × 24 = 48 partitions (divisible by 8, 12, 16, 24), the other data topics at 12 (2 PE and 2 scoring
   * instances with room to grow), replication factor 3 and min ISR 2 on three brokers.
   *
   * <p>The GPU figure is SDXL at 1024 px on an A100 (fal-ai stable-diffusion-benchmarks, also cited in
   * docs/benchmarks.md): 12.18 it/s, so 50 steps make 0.24 images/s. The longest batch measured here is
   * 1.711 s (tiny-mmdit-flow, 512x512, batch 8, CPU: docs/benchmarks.md, inference); the GPU batch of
   * 4 SDXL images, about 16.4 s, is the longer and sets the grace period.
   */
  public static DeploymentSettings production() {
    return new DeploymentSettings("inkflow", "inkflow", 3, 3, "200Gi",
        "registry.example.com/inkflow", "0.1.0-SNAPSHOT", "",
        new TopicSettings(12, Map.of(Topics.GENERATION_JOBS, 48), (short) 3, 2),
        "http://schema-registry.inkflow.svc:8081", "inkflow-images", null, "us-east-1",
        2, 2, 1, 1, 24,
        new GpuFigure("SDXL 1.0, 1024x1024, fp16, TensorRT 9.0", "A100 80G SXM", 12.18, 50, 4,
            "fal-ai/stable-diffusion-benchmarks README at 0490f695"),
        Duration.ofMillis(1711), Duration.ofSeconds(60));
  }

  /** The longest batch the worker's grace period must cover: the GPU figure's batch, or the measured one if longer. */
  public Duration longestBatch() {
    Duration gpuBatch = gpu.batchTime();
    return gpuBatch.compareTo(measuredLongestBatch) >= 0 ? gpuBatch : measuredLongestBatch;
  }

  /**
   * KEDA's {@code lagThreshold}: the lag (jobs, one image each) one worker is expected to clear in
   * {@link #targetBacklog}, {@code ceil(images/s per GPU × backlog seconds)}. KEDA runs
   * {@code ceil(total lag ÷ threshold)} workers, so each holds about that much work.
   */
  public long lagThreshold() {
    return (long) Math.ceil(gpu.imagesPerSecond() * targetBacklog.toMillis() / 1000.0);
  }

  /** Kafka's bootstrap address inside the cluster (Strimzi's bootstrap service, plain listener). */
  public String bootstrapServers() {
    return kafkaCluster + "-kafka-bootstrap." + namespace + ".svc:9092";
  }

  /** An image of this deployment: {@code <repository>/<name>:<tag>}. */
  public String image(String name) {
    return imageRepository + "/" + name + ":" + imageTag;
  }
}
