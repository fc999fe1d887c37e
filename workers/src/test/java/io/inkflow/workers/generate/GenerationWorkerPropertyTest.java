package io.inkflow.workers.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.Size;
import io.inkflow.common.deadletter.DeadLetterHeaders;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.testing.ExampleEvents;
import io.inkflow.testing.arbitrary.ArbitraryEvents;
import io.inkflow.testing.arbitrary.ArbitraryText;
import io.inkflow.testing.arbitrary.LenientProducer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.LoggerFactory;

/**
 * The real generation worker (consumer loop, batching, key builder, serdes, delivery) on
 * MockConsumer/MockProducer, with only the image generator and the S3 store faked, fed jobs nesting
 * arbitrary requests and carrying arbitrary strings: every job ends as exactly one of a GENERATED
 * image, a re-queue, or a dead letter reported FAILED; the worker never dies; and it commits past
 * every record. Each job's fate (rendered, refused by the generator, meant for another pack) is
 * drawn too, so each outcome is also checked against the one that fate calls for.
 *
 * <p>One worker serves consecutive passing tries (its outputs and fakes are reset before each); a
 * try that fails gets it replaced, so every try judged starts from a live worker.
 */
class GenerationWorkerPropertyTest {
  private static final String WORKER_LOGGER = GenerationWorker.class.getName();
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static Level workerLevel;

  /** What the fakes make of a job: rendered, refused by the generator, or meant for another pack. */
  enum Fate { RENDERED, INFERENCE_FAILS, OTHER_PACK }

  record Case(GenerationJob job, Fate fate) {}

  /** One worker serves the tries while they pass; a try that fails leaves it to be replaced. */
  private WorkerHarness h;
  private boolean healthy;

  @BeforeContainer
  static void quietWorker() {
    // Dead letters log at ERROR with the job id, which here can be 100k characters; a dying worker is caught below.
    Logger worker = (Logger) LoggerFactory.getLogger(WORKER_LOGGER);
    workerLevel = worker.getLevel();
    worker.setLevel(Level.OFF);
  }

  @AfterContainer
  static void restoreWorkerLogging() {
    ((Logger) LoggerFactory.getLogger(WORKER_LOGGER)).setLevel(workerLevel);
  }

  @Provide
  Arbitrary<List<Case>> cases() {
    GenerationJob template = GenerationJob.newBuilder(ExampleEvents.job())
        .setPackId(WorkerHarness.PACK).setPackVersion(WorkerHarness.VERSION).build();
    Arbitrary<GenerationJob> jobs = Combinators.combine(
            ArbitraryEvents.jobs(template, ArbitraryEvents.wellFormedRequests()),
            Arbitraries.of(16, 32), Arbitraries.of(2, 3), Arbitraries.of(1, 2, 3))
        .as((job, side, steps, attempt) -> GenerationJob.newBuilder(job).setSize(new Size(side, side)).setSteps(steps)
            .setAttempt(attempt).build());
    Arbitrary<Fate> fates = Arbitraries.frequency(Tuple.of(8, Fate.RENDERED), Tuple.of(1, Fate.INFERENCE_FAILS),
        Tuple.of(1, Fate.OTHER_PACK));
    return Combinators.combine(jobs, fates).as(Case::new).list().ofMinSize(1).ofMaxSize(6)
        .uniqueElements(c -> ArbitraryText.afterUtf8(c.job().getJobId()));
  }

  @BeforeTry
  void cleanWorker() throws Exception {
    if (h != null && !healthy) {
      h.close();
      h = null;
    }
    if (h == null) {
      h = new WorkerHarness();
      h.config = WorkerHarness.config(4, Duration.ofMillis(5), 3);
      h.start();
    }
    healthy = false;
    h.producer.clear();
    h.generator.failOn.clear();
    h.store.objects.clear();
  }

  @AfterProperty
  void stopWorker() throws Exception {
    if (h != null) {
      h.close();
    }
  }

  @Property(seed = "1125")
  void everyJobEndsAsExactlyOneOutcomeAndTheWorkerCommitsPastIt(@ForAll("cases") List<Case> cases) {
    List<Sent> sent = new ArrayList<>();
    for (int i = 0; i < cases.size(); i++) {
      Case c = cases.get(i);
      GenerationJob job = c.fate() == Fate.OTHER_PACK
          ? GenerationJob.newBuilder(c.job()).setPackVersion(WorkerHarness.VERSION + "-other").build() : c.job();
      TopicPartition tp = i % 2 == 0 ? h.p0 : h.p1;
      byte[] key = job.getJobId().getBytes(StandardCharsets.UTF_8);
      byte[] value = LenientProducer.bytes(h.topics.generationJobs, job);
      // What the worker reads back: the job as UTF-8 carries its strings.
      GenerationJob read = h.topics.generationJobs.valueSerde().deserializer().deserialize(tp.topic(), value);
      if (c.fate() == Fate.INFERENCE_FAILS) {
        h.generator.failOn.add(read.getJobId());
      }
      sent.add(new Sent(read, c.fate(), tp, h.nextOffset.computeIfAbsent(tp, k -> new AtomicInteger()).get()));
      h.send(tp, key, value);
    }
    long endP0 = h.nextOffset.getOrDefault(h.p0, new AtomicInteger()).get();
    long endP1 = h.nextOffset.getOrDefault(h.p1, new AtomicInteger()).get();
    try {
      await().atMost(DEADLINE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
          .until(() -> h.died != null || (committedPast(h.p0, endP0) && committedPast(h.p1, endP1)));
    } catch (ConditionTimeoutException e) {
      // Judged below: the outcome that is missing says more than the timeout.
    }
    if (h.died != null) {
      throw new AssertionError("the worker died on " + describe(sent), h.died);
    }
    Produced produced = new Produced(h.results(), h.requeued(), h.deadLetters());
    for (Sent s : sent) {
      Statistics.label("outcome").collect(outcomeOf(s, produced));
    }
    assertThat(h.committed(h.p0)).as("committed offset of %s", h.p0).isEqualTo(endP0 == 0 ? -1 : endP0);
    assertThat(h.committed(h.p1)).as("committed offset of %s", h.p1).isEqualTo(endP1 == 0 ? -1 : endP1);
    healthy = true;
  }

  record Sent(GenerationJob job, Fate fate, TopicPartition tp, long offset) {}

  /** What the worker produced during a try, decoded once. */
  record Produced(List<GeneratedImage> images, List<GenerationJob> requeued, List<ProducerRecord<byte[], byte[]>> deadLetters) {}

  private boolean committedPast(TopicPartition tp, long end) {
    return end == 0 || h.committed(tp) >= end;
  }

  /** Classifies the outcome of one job, failing unless it is exactly one and the one its fate calls for. */
  private String outcomeOf(Sent s, Produced produced) {
    String jobId = s.job().getJobId();
    List<GeneratedImage> images = produced.images().stream().filter(r -> r.getJob().getJobId().equals(jobId)).toList();
    long generated = images.stream().filter(r -> r.getStatus() == ImageStatus.GENERATED).count();
    long failed = images.stream().filter(r -> r.getStatus() == ImageStatus.FAILED).count();
    List<GenerationJob> requeued = produced.requeued().stream().filter(j -> j.getJobId().equals(jobId)).toList();
    List<ProducerRecord<byte[], byte[]>> dead = produced.deadLetters().stream()
        .filter(d -> s.tp().topic().equals(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.SOURCE_TOPIC))
            && Integer.toString(s.tp().partition()).equals(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.SOURCE_PARTITION))
            && Long.toString(s.offset()).equals(DeadLetterHeaders.get(d.headers(), DeadLetterHeaders.SOURCE_OFFSET)))
        .toList();
    String counts = String.format("job %s (%s, attempt %d) at %s@%d: %d GENERATED, %d FAILED, %d re-queued, %d dead letters",
        ArbitraryText.brief(jobId), s.fate(), s.job().getAttempt(), s.tp(), s.offset(), generated, failed, requeued.size(), dead.size());
    boolean isGenerated = generated == 1 && failed == 0 && requeued.isEmpty() && dead.isEmpty();
    boolean isRequeued = generated == 0 && failed == 0 && requeued.size() == 1 && dead.isEmpty();
    boolean isDeadLettered = generated == 0 && failed == 1 && requeued.isEmpty() && dead.size() == 1;
    assertThat(List.of(isGenerated, isRequeued, isDeadLettered)).as("exactly one outcome for %s", counts).containsOnlyOnce(true);

    switch (s.fate()) {
      case RENDERED -> {
        assertThat(isGenerated).as("a rendered job is delivered: %s", counts).isTrue();
        GeneratedImage image = images.get(0);
        PromptRequest r = s.job().getRequest();
        String key = ObjectKeys.image(r.getBatchId(), r.getRequestId(), s.job().getVariant(), s.job().getSeed());
        assertThat(image.getImageUri()).isEqualTo(h.store.uri(key));
        assertThat(h.store.objects).containsKey(key);
        assertThat(image.getJob()).isEqualTo(s.job());
        return "GENERATED";
      }
      case INFERENCE_FAILS -> {
        if (s.job().getAttempt() < 3) {
          assertThat(isRequeued).as("a failed attempt with attempts left is re-queued: %s", counts).isTrue();
          assertThat(requeued.get(0).getAttempt()).isEqualTo(s.job().getAttempt() + 1);
          return "re-queued";
        }
        assertThat(isDeadLettered).as("the last failed attempt is dead-lettered: %s", counts).isTrue();
        assertThat(images.get(0).getErrorCode()).isEqualTo("INFERENCE_ERROR");
        return "dead letter INFERENCE_ERROR";
      }
      case OTHER_PACK -> {
        assertThat(isDeadLettered).as("a job for another pack is dead-lettered: %s", counts).isTrue();
        assertThat(DeadLetterHeaders.get(dead.get(0).headers(), DeadLetterHeaders.ERROR_CODE)).isEqualTo("PACK_MISMATCH");
        assertThat(images.get(0).getErrorCode()).isEqualTo("PACK_MISMATCH");
        return "dead letter PACK_MISMATCH";
      }
      default -> throw new IllegalStateException(s.fate().name());
    }
  }

  private static String describe(List<Sent> sent) {
    return sent.stream().map(s -> s.fate() + " " + ArbitraryText.brief(s.job().getJobId()) + " attempt " + s.job().getAttempt()
        + " request[" + ArbitraryEvents.summary(s.job().getRequest()) + "]").toList().toString();
  }
}
