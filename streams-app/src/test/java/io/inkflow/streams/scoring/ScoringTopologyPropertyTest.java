package io.inkflow.streams.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.avro.Verdict;
import io.inkflow.inference.reward.RewardInput;
import io.inkflow.inference.reward.RewardScores;
import io.inkflow.schemas.Topics;
import io.inkflow.storage.MemoryObjectStore;
import io.inkflow.storage.ObjectKeys;
import io.inkflow.streams.batches.BatchTracker;
import io.inkflow.streams.results.RequestAggregator;
import io.inkflow.testing.ExampleEvents;
import io.inkflow.testing.MemoryRegistry;
import io.inkflow.testing.arbitrary.ArbitraryEvents;
import io.inkflow.testing.arbitrary.ArbitraryText;
import io.inkflow.testing.arbitrary.LenientProducer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.stream.Stream;
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
import net.jqwik.api.lifecycle.BeforeProperty;
import net.jqwik.api.lifecycle.BeforeTry;
import net.jqwik.api.statistics.Statistics;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.slf4j.LoggerFactory;

/**
 * The scoring topology on images of arbitrary requests (each request's variants share one arbitrary
 * job, as the PE stage fans them out): scorable PNGs, missing and unreadable images, FAILED images,
 * redelivered ones and variants that never arrive. Every job that arrives ends as exactly one
 * ScoredImage, with the verdict its image calls for; every request of which a variant arrived ends as
 * exactly one RequestResult once the timeout has passed (none when no variant arrived), with the
 * status its variants call for; nothing throws out of the driver.
 *
 * <p>One driver serves every try; before each try its stores are emptied, so each try's requests
 * and jobs are new to it.
 */
class ScoringTopologyPropertyTest {
  private static final Duration FLUSH = Duration.ofMillis(100);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final String SCORING_LOGGER = "io.inkflow.streams.scoring";
  private static final List<String> STORES = List.of(ScoringTopology.SEEN_JOBS_STORE, ScoringTopology.PENDING_STORE,
      RequestAggregator.REQUESTS_STORE, RequestAggregator.DEADLINES_STORE, BatchTracker.BATCHES_STORE, BatchTracker.BATCH_ROWS_STORE);
  private static final byte[] PNG = ScoringFixtures.png(16, 16);
  private static MemoryRegistry client;
  private static Topics topics;
  private static Level scoringLevel;

  /** What happens to one variant on its way to the scorer. */
  enum Fate { SCORABLE, IMAGE_MISSING, NOT_PNG, GENERATION_FAILED, NEVER_ARRIVES }

  /** A variant: its fate, and whether the worker delivered it twice (a redelivery after a crash). */
  record Variant(Fate fate, boolean twice) {}

  /** One request's variants, all built on one arbitrary job. */
  record Request(GenerationJob job, List<Variant> variants) {}

  private final MemoryObjectStore store = new MemoryObjectStore("bucket");
  private Path stateDir;
  private TopologyTestDriver driver;
  private boolean broken;
  private TestInputTopic<byte[], byte[]> images;
  private TestOutputTopic<String, ScoredImage> scored;
  private TestOutputTopic<String, RequestResult> results;
  private TestOutputTopic<byte[], byte[]> dlq;

  @BeforeContainer
  static void startRegistry() throws Exception {
    client = new MemoryRegistry();
    topics = Topics.create(client, "", 1, true);
    // Dead letters log at WARN with ids that here can be 100k characters long.
    Logger scoring = (Logger) LoggerFactory.getLogger(SCORING_LOGGER);
    scoringLevel = scoring.getLevel();
    scoring.setLevel(Level.ERROR);
  }

  @AfterContainer
  static void stopRegistry() {
    ((Logger) LoggerFactory.getLogger(SCORING_LOGGER)).setLevel(scoringLevel);
    client.close();
  }

  @BeforeProperty
  void open() throws IOException {
    stateDir = Files.createTempDirectory("scoring-props");
    openDriver();
  }

  private void openDriver() {
    ScoringSettings settings = ScoringSettings.defaults().withBatchSize(4).withFlushInterval(FLUSH)
        .withRequestTimeout(TIMEOUT).withMaxPixels(32 * 32);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scoring-props");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    driver = new TopologyTestDriver(ScoringTopology.build(topics, settings, store, new HashScorer(), RewardPolicyTest.POLICY),
        props, ScoringFixtures.T0);
    images = driver.createInputTopic(topics.imagesGenerated.name(), new ByteArraySerializer(), new ByteArraySerializer(),
        ScoringFixtures.T0, Duration.ofMillis(1));
    scored = driver.createOutputTopic(topics.imagesScored.name(), new StringDeserializer(), topics.imagesScored.valueSerde().deserializer());
    results = driver.createOutputTopic(topics.requestResults.name(), new StringDeserializer(), topics.requestResults.valueSerde().deserializer());
    dlq = driver.createOutputTopic(topics.imagesGeneratedDlq.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    broken = false;
  }

  @AfterProperty
  void close() throws IOException {
    driver.close();
    try (Stream<Path> files = Files.walk(stateDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Each try starts from empty stores, outputs and image store; a driver that threw is replaced. */
  @BeforeTry
  void forgetEarlierTries() {
    if (broken) {
      driver.close();
      openDriver();
    }
    for (String name : STORES) {
      KeyValueStore<String, Object> s = driver.getKeyValueStore(name);
      List<String> keys = new ArrayList<>();
      try (var all = s.all()) {
        all.forEachRemaining(kv -> keys.add(kv.key));
      }
      keys.forEach(s::delete);
    }
    // The driver keeps every record it produced until read, changelogs included: drop them all.
    for (String topic : driver.producedTopicNames()) {
      driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer()).readRecordsToList();
    }
    store.objects.clear();
    store.reads.clear();
  }

  @Provide
  Arbitrary<List<Request>> requests() {
    GenerationJob template = GenerationJob.newBuilder(ExampleEvents.job())
        .setRequestedSize(new Size(16, 16)).setSize(new Size(16, 16)).build();
    Arbitrary<Variant> variants = Combinators.combine(
        Arbitraries.frequency(Tuple.of(6, Fate.SCORABLE), Tuple.of(1, Fate.IMAGE_MISSING), Tuple.of(1, Fate.NOT_PNG),
            Tuple.of(2, Fate.GENERATION_FAILED), Tuple.of(1, Fate.NEVER_ARRIVES)),
        Arbitraries.frequency(Tuple.of(9, false), Tuple.of(1, true))).as(Variant::new);
    Arbitrary<Request> request = Combinators.combine(ArbitraryEvents.jobs(template, ArbitraryEvents.wellFormedRequests()),
        variants.list().ofMinSize(1).ofMaxSize(3)).as(Request::new);
    // Distinct requestIds as the topic carries them (UTF-8), so the variants' jobIds are distinct too.
    return request.list().ofMinSize(1).ofMaxSize(3)
        .uniqueElements(r -> ArbitraryText.afterUtf8(r.job().getRequest().getRequestId()));
  }

  @Property(seed = "60")
  void everyJobEndsAsOneScoredImageAndEveryRequestAsAtMostOneResult(@ForAll("requests") List<Request> requests) {
    List<Sent> sent = new ArrayList<>();
    for (Request r : requests) {
      for (int i = 0; i < r.variants().size(); i++) {
        sent.add(sent(r, i));
      }
    }
    try {
      for (Sent s : sent) {
        Variant v = s.variant();
        if (v.fate() == Fate.NEVER_ARRIVES) {
          continue;
        }
        images.pipeInput(s.key(), s.bytes());
        if (v.twice()) {
          images.pipeInput(s.key(), s.bytes());
        }
      }
      driver.advanceWallClockTime(FLUSH);
      driver.advanceWallClockTime(TIMEOUT.plusSeconds(1));
    } catch (RuntimeException e) {
      broken = true;
      throw new AssertionError("the scoring topology threw on " + describe(requests), e);
    }

    List<ScoredImage> scoredImages = scored.readValuesToList();
    List<KeyValue<String, RequestResult>> requestResults = results.readKeyValuesToList();
    List<TestRecord<byte[], byte[]>> deadLetters = dlq.readRecordsToList();
    for (Sent s : sent) {
      String jobId = s.image().getJob().getJobId();
      List<ScoredImage> mine = scoredImages.stream().filter(x -> x.getImage().getJob().getJobId().equals(jobId)).toList();
      long dead = deadLetters.stream().filter(d -> Arrays.equals(d.value(), s.bytes())).count();
      Fate fate = s.variant().fate();
      Statistics.label("variant").collect(fate);
      if (fate == Fate.NEVER_ARRIVES) {
        assertThat(mine).as("ScoredImages of %s, which never arrived", ArbitraryText.brief(jobId)).isEmpty();
        continue;
      }
      assertThat(mine).as("ScoredImages of %s (%s%s)", ArbitraryText.brief(jobId), fate, s.variant().twice() ? ", twice" : "")
          .hasSize(1);
      Verdict verdict = mine.get(0).getVerdict();
      if (fate == Fate.SCORABLE) {
        assertThat(verdict).isIn(Verdict.ACCEPTED, Verdict.BAD_CASE);
      } else {
        assertThat(verdict).isEqualTo(Verdict.FAILED);
      }
      boolean unreadable = fate == Fate.IMAGE_MISSING || fate == Fate.NOT_PNG;
      assertThat(dead).as("dead letters of %s (%s)", ArbitraryText.brief(jobId), fate).isEqualTo(unreadable ? 1 : 0);
    }
    assertThat(scoredImages).as("ScoredImages in all").hasSize((int) sent.stream().filter(s -> s.variant().fate() != Fate.NEVER_ARRIVES).count());

    for (Request r : requests) {
      String requestId = ArbitraryText.afterUtf8(r.job().getRequest().getRequestId());
      List<RequestResult> mine = requestResults.stream().filter(kv -> kv.key.equals(requestId)).map(kv -> kv.value).toList();
      long arrived = r.variants().stream().filter(v -> v.fate() != Fate.NEVER_ARRIVES).count();
      long scorable = r.variants().stream().filter(v -> v.fate() == Fate.SCORABLE).count();
      assertThat(mine).as("RequestResults of %s (%d of %d variants arrived)", ArbitraryText.brief(requestId), arrived,
          r.variants().size()).hasSize(arrived > 0 ? 1 : 0);
      if (arrived == 0) {
        Statistics.label("request").collect("no variant arrived");
        continue;
      }
      RequestStatus expected = scorable == 0 ? RequestStatus.FAILED
          : scorable == r.variants().size() ? RequestStatus.COMPLETED : RequestStatus.PARTIAL;
      Statistics.label("request").collect(expected);
      assertThat(mine.get(0).getStatus()).isEqualTo(expected);
      assertThat(mine.get(0).getNumVariants()).isEqualTo(r.variants().size());
      assertThat(mine.get(0).getVariants()).hasSize((int) arrived);
      assertThat(mine.get(0).getBatchId()).isEqualTo(ArbitraryText.afterUtf8(r.job().getRequest().getBatchId()));
    }
    assertThat(requestResults).as("RequestResults in all")
        .hasSize((int) requests.stream().filter(r -> r.variants().stream().anyMatch(v -> v.fate() != Fate.NEVER_ARRIVES)).count());
  }

  /** A variant ready to send: its image (and, for a GENERATED one, its object in the store) and its bytes. */
  record Sent(Variant variant, GeneratedImage image, byte[] key, byte[] bytes) {}

  private Sent sent(Request r, int i) {
    Variant v = r.variants().get(i);
    PromptRequest request = r.job().getRequest();
    GenerationJob job = GenerationJob.newBuilder(r.job()).setVariant(i).setNumVariants(r.variants().size())
        .setJobId(request.getRequestId() + "-" + i).setSeed(r.job().getSeed() + i).build();
    String uri = "s3://bucket/" + ObjectKeys.image(request.getBatchId(), request.getRequestId(), i, job.getSeed());
    GeneratedImage.Builder image = GeneratedImage.newBuilder(ExampleEvents.image()).setJob(job).setImageUri(uri)
        .setDeliveredSize(new Size(16, 16));
    switch (v.fate()) {
      case SCORABLE -> store.objects.put(ObjectKeys.parse(uri).key(), PNG);
      case NOT_PNG -> store.objects.put(ObjectKeys.parse(uri).key(), "GIF89a".getBytes(StandardCharsets.US_ASCII));
      case GENERATION_FAILED -> image.setStatus(ImageStatus.FAILED).setImageUri(null).setSha256(null)
          .setErrorCode("MAX_ATTEMPTS").setErrorMessage("gave up after 3 attempts");
      case IMAGE_MISSING, NEVER_ARRIVES -> { }
      default -> throw new IllegalStateException(v.fate().name());
    }
    GeneratedImage built = image.build();
    byte[] bytes = LenientProducer.bytes(topics.imagesGenerated, built);
    // Keyed by requestId, as the worker writes it; compared below as the topic carries it.
    GeneratedImage read = topics.imagesGenerated.valueSerde().deserializer().deserialize(topics.imagesGenerated.name(), bytes);
    return new Sent(v, read, request.getRequestId().getBytes(StandardCharsets.UTF_8), bytes);
  }

  private static String describe(List<Request> requests) {
    return requests.stream().map(r -> r.variants() + " of [" + ArbitraryEvents.summary(r.job().getRequest()) + "]").toList().toString();
  }

  /** Scores from a hash of the prompt: deterministic, spread over [0, 1], whatever the text. */
  static final class HashScorer implements ImageScorer {
    @Override
    public List<RewardScores> score(List<RewardInput> inputs) {
      List<RewardScores> out = new ArrayList<>(inputs.size());
      for (RewardInput in : inputs) {
        double q = (in.prompt().hashCode() & 0xffff) / 65535.0;
        out.add(new RewardScores(q, q, OptionalDouble.empty(), Optional.empty(), q));
      }
      return out;
    }

    @Override
    public String packId() {
      return "reward-test";
    }

    @Override
    public String packVersion() {
      return "1";
    }
  }
}
