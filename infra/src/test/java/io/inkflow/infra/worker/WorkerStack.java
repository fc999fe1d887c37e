package io.inkflow.infra.worker;

import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.Size;
import io.inkflow.infra.local.LocalStack;
import io.inkflow.schemas.Topic;
import io.inkflow.schemas.TopicSettings;
import io.inkflow.schemas.Topics;
import io.inkflow.schemas.registry.RegistryClientConfig;
import io.inkflow.schemas.registry.RestSchemaRegistryClient;
import io.inkflow.storage.S3ObjectStore;
import io.inkflow.workers.generate.ClaimStore;
import io.inkflow.workers.generate.GenerationWorker;
import io.inkflow.workers.generate.GenerationWorkerMain;
import io.inkflow.workers.generate.ImageGenerator;
import io.inkflow.workers.generate.WorkerConfig;
import io.inkflow.workers.generate.WorkerMetrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import software.amazon.awssdk.services.s3.S3Client;

/** Helpers for the worker ITs: a topic set per test on the shared local stack, jobs, readers, in-process workers. */
final class WorkerStack {
  static final Path PACK = Path.of("models", "tiny-mmdit-flow").toAbsolutePath();

  /** Partitions of the job topics {@link #topics} creates; {@link #env} tells the worker the same. */
  static final int PARTITIONS = 2;

  private WorkerStack() {}

  /** A fresh catalogue under {@code prefix} with its topics created (2 job partitions). */
  static Topics topics(LocalStack stack, RestSchemaRegistryClient registry, String prefix) throws Exception {
    Topics topics = Topics.create(registry, prefix, PARTITIONS, true);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()))) {
      admin.createTopics(List.of(topics.generationJobs.newTopic((short) 1), topics.generationJobsDlq.newTopic((short) 1),
          topics.imagesGenerated.newTopic((short) 1))).all().get(30, TimeUnit.SECONDS);
    }
    return topics;
  }

  static RestSchemaRegistryClient registry(LocalStack stack) {
    return new RestSchemaRegistryClient(RegistryClientConfig.of(stack.connection().registryUrl()));
  }

  /** The environment a worker process reads, for this stack and topic prefix. */
  static Map<String, String> env(LocalStack stack, String prefix, String group) {
    Map<String, String> env = new HashMap<>(stack.connection().asEnv());
    env.put("INKFLOW_S3_ACCESS_KEY", stack.connection().s3AccessKey());
    env.put("INKFLOW_S3_SECRET_KEY", stack.connection().s3SecretKey());
    env.put("INKFLOW_TOPIC_PREFIX", prefix);
    env.putAll(TopicSettings.uniform(PARTITIONS).asEnv());
    env.put("INKFLOW_WORKER_GROUP_ID", group);
    env.put("INKFLOW_PACK_DIR", PACK.toString());
    env.put("INKFLOW_WORKER_BATCH_SIZE", "4");
    env.put("INKFLOW_WORKER_MAX_WAIT", "PT0.1S");
    env.put("INKFLOW_WORKER_IO_BACKOFF", "PT0.05S");
    env.put("INKFLOW_WORKER_IO_BACKOFF_MAX", "PT0.5S");
    return env;
  }

  static GenerationJob job(String batchId, String requestId, int variant, int steps) {
    PromptRequest request = PromptRequest.newBuilder().setRequestId(requestId).setBatchId(batchId)
        .setPrompt("a red circle " + requestId).setNumImages(2).setWidth(256).setHeight(256)
        .setSubmittedAt(Instant.now()).build();
    return GenerationJob.newBuilder()
        .setRequest(request).setVariant(variant).setNumVariants(2).setJobId(requestId + "-" + variant)
        .setNormalizedPrompt(request.getPrompt()).setRewrittenPrompt(request.getPrompt())
        .setRewriteStrategy("passthrough").setRewriteVersion("1")
        .setRequestedSize(new Size(256, 256)).setSize(new Size(256, 256)).setSteps(steps).setGuidanceScale(4.5f)
        .setSeed(1000L + variant).setPackId("tiny-mmdit-flow").setPackVersion("0.1.0").setCreatedAt(Instant.now())
        .build();
  }

  static KafkaProducer<byte[], byte[]> producer(LocalStack stack) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers()),
        new ByteArraySerializer(), new ByteArraySerializer());
  }

  static void send(LocalStack stack, Topics topics, List<GenerationJob> jobs) {
    try (KafkaProducer<byte[], byte[]> producer = producer(stack)) {
      for (GenerationJob job : jobs) {
        producer.send(new ProducerRecord<>(topics.generationJobs.name(), job.getJobId().toString().getBytes(StandardCharsets.UTF_8),
            topics.generationJobs.valueSerde().serializer().serialize(topics.generationJobs.name(), job)));
      }
      producer.flush();
    }
  }

  /** Reads {@code topic} from the start until {@code done} holds for what was read; fails after {@code timeout}. */
  static <V> List<ConsumerRecord<byte[], V>> readUntil(LocalStack stack, Topic<?, V> topic, Duration timeout,
      Predicate<List<ConsumerRecord<byte[], V>>> done) {
    List<ConsumerRecord<byte[], V>> out = new ArrayList<>();
    Map<String, Object> cfg = new HashMap<>();
    cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.connection().bootstrapServers());
    cfg.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID());
    cfg.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    try (KafkaConsumer<byte[], V> consumer = new KafkaConsumer<>(cfg, new ByteArrayDeserializer(), topic.valueSerde().deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!done.test(out)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("after " + timeout + ", " + topic.name() + " holds " + out.size() + " record(s), not what was expected");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  static long distinctJobs(List<ConsumerRecord<byte[], GeneratedImage>> records) {
    return records.stream().map(r -> r.value().getJob().getJobId().toString()).distinct().count();
  }

  /** An in-process worker on its own thread, closed with its clients. */
  static final class RunningWorker implements AutoCloseable {
    final GenerationWorker worker;
    final Thread thread;
    final KafkaProducer<byte[], byte[]> producer;
    volatile Throwable died;

    RunningWorker(WorkerConfig config, Topics topics, ImageGenerator generator, S3Client s3, ClaimStore claims, WorkerMetrics metrics) {
      producer = new KafkaProducer<>(GenerationWorkerMain.producerProps(config), new ByteArraySerializer(), new ByteArraySerializer());
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(GenerationWorkerMain.consumerProps(config),
          new ByteArrayDeserializer(), new ByteArrayDeserializer());
      worker = new GenerationWorker(config, consumer, producer, topics, generator, new S3ObjectStore(s3, config.s3().bucket()),
          claims, metrics);
      thread = new Thread(() -> {
        try {
          worker.run();
        } catch (Throwable e) {
          died = e;
        }
      }, "worker-" + config.workerId());
      thread.start();
    }

    @Override
    public void close() throws InterruptedException {
      worker.shutdown();
      thread.join(TimeUnit.SECONDS.toMillis(60));
      producer.close(Duration.ofSeconds(10));
      if (died != null) {
        throw new AssertionError("worker died", died);
      }
    }
  }
}
