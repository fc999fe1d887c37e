package io.inkflow.bench.console;

import io.inkflow.api.auth.ApiTokens;
import io.inkflow.api.auth.RateLimiter;
import io.inkflow.api.console.ConsoleRoutes;
import io.inkflow.api.console.LabelSink;
import io.inkflow.api.http.ApiServer;
import io.inkflow.api.submit.SubmissionRoutes;
import io.inkflow.api.view.ApiView;
import io.inkflow.api.view.ImageLinks;
import io.inkflow.api.webhook.CallbackGuard;
import io.inkflow.avro.BatchResult;
import io.inkflow.avro.BatchSubmitted;
import io.inkflow.avro.GeneratedImage;
import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.ImageStatus;
import io.inkflow.avro.Language;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.RequestStatus;
import io.inkflow.avro.RewardScore;
import io.inkflow.avro.ScoredImage;
import io.inkflow.avro.Size;
import io.inkflow.avro.StageTimings;
import io.inkflow.avro.Verdict;
import io.inkflow.storage.S3Clients;
import io.inkflow.storage.S3Settings;
import io.inkflow.streams.labels.LabelPair;
import io.inkflow.streams.labels.PairQueue;
import io.inkflow.streams.rewrite.PackPlanner;
import io.inkflow.streams.rewrite.PeLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;

/**
 * Benchmark (not a test) of the web console's pages with a batch of N finished requests (two variants each,
 * one a bad case) and M people's judgements in the API's view. The view is filled with synthetic events,
 * not read from topics: the figure is the page's own cost (view reads, presigned links, template rendering,
 * HTTP on loopback), which is what a request to a running console pays. Links are signed by the AWS SDK's
 * presigner, as in the service (signing is local; nothing is fetched). Pages alternate within each round;
 * each page's latency is taken over every request of every round.
 */
@Command(name = "scripts/bench/console", mixinStandardHelpOptions = true, sortOptions = false,
    description = "p50/p95 of each console page with N finished requests in a batch (synthetic view data).")
public final class ConsolePagesBench implements Callable<Integer> {
  private static final String TOKEN = "bench-console-token-0123456789";
  private static final String BATCH = "bench-batch";

  @Option(names = "--requests", paramLabel = "N", defaultValue = "1000", description = "finished requests in the batch (default: ${DEFAULT-VALUE})")
  private int requests;

  @Option(names = "--judgements", paramLabel = "N", defaultValue = "500", description = "people's judgements in the batch (default: ${DEFAULT-VALUE})")
  private int judgements;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "5", description = "reported rounds, after one unreported warm-up (default: ${DEFAULT-VALUE})")
  private int rounds;

  @Option(names = "--calls", paramLabel = "N", defaultValue = "20", description = "calls of each page per round (default: ${DEFAULT-VALUE})")
  private int calls;

  @Option(names = "--pack", paramLabel = "DIR", defaultValue = "infra/models/mini-mmdit-flow", description = "the upload planner's pack (default: ${DEFAULT-VALUE})")
  private Path pack;

  public static void main(String[] args) {
    System.exit(new CommandLine(new ConsolePagesBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    ApiView view = new ApiView();
    fill(view, requests, judgements);
    ApiTokens tokens = ApiTokens.parse(List.of("bench viewer,annotator,submitter " + ApiTokens.hashHex(TOKEN, null)), null, "bench");
    Clock clock = Clock.systemUTC();
    RateLimiter limiter = new RateLimiter(100_000_000, clock);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    LabelSink sink = new LabelSink() {
      @Override
      public void send(HumanPreference judgement) {}

      @Override
      public void send(HumanVerdict review) {}
    };
    try (PackPlanner planner = PackPlanner.open(pack, PeLimits.defaults());
         S3Presigner presigner = S3Clients.presigner(S3Settings.local(URI.create("http://127.0.0.1:9000"), S3Settings.DEFAULT_BUCKET,
             "bench-access", "bench-secret-key"))) {
      SubmissionRoutes submissions = new SubmissionRoutes(view, s -> { }, planner, new CallbackGuard(List.of(), false), false,
          new SubmissionRoutes.Limits(1 << 20, 1000), clock, metrics);
      ConsoleRoutes console = new ConsoleRoutes(view, tokens, limiter, submissions, ImageLinks.presigned(presigner, Duration.ofMinutes(15), clock),
          sink, PairQueue.Settings.defaults(), clock, Optional::empty);
      try (ApiServer server = ApiServer.start("127.0.0.1", 0, tokens, limiter, List.of(submissions, console), metrics)) {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + server.port();
        HttpResponse<String> form = http.send(HttpRequest.newBuilder(URI.create(base + "/console")).build(), HttpResponse.BodyHandlers.ofString());
        String loginCookie = form.headers().firstValue("Set-Cookie").map(c -> c.substring(0, c.indexOf(';'))).orElseThrow();
        Matcher field = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(form.body());
        if (!field.find()) {
          throw new IllegalStateException("the sign-in form has no CSRF field");
        }
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/console/login")).header("Cookie", loginCookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("token=" + TOKEN + "&_csrf=" + field.group(1))).build(), HttpResponse.BodyHandlers.ofString());
        String setCookie = login.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(ConsoleRoutes.COOKIE + "="))
            .findFirst().orElseThrow(() -> new IllegalStateException("sign-in failed: " + login.statusCode()));
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        Map<String, String> pages = new LinkedHashMap<>();
        pages.put("batches", "/console/batches");
        pages.put("batch", "/console/batches/" + BATCH);
        pages.put("progress (JSON)", "/console/batches/" + BATCH + "/progress");
        pages.put("gallery p1", "/console/batches/" + BATCH + "/gallery");
        pages.put("gallery p20", "/console/batches/" + BATCH + "/gallery?page=20");
        pages.put("review p1", "/console/batches/" + BATCH + "/review");
        pages.put("agreement", "/console/batches/" + BATCH + "/agreement");
        pages.put("export", "/console/batches/" + BATCH + "/export");
        pages.put("label/next (JSON)", "/console/label/next");
        System.out.printf("console pages: batch of %d finished requests (%d images), %d judgements (synthetic view data); "
            + "%d rounds x %d calls per page after a warm-up; JVM %s%n", requests, 2 * requests, judgements, rounds, calls,
            Runtime.version());
        Map<String, List<Double>> all = new LinkedHashMap<>();
        Map<String, List<Double>> roundP95 = new LinkedHashMap<>();
        for (int round = 0; round <= rounds; round++) {
          for (Map.Entry<String, String> page : pages.entrySet()) {
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
              long t = System.nanoTime();
              HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(base + page.getValue())).header("Cookie", cookie).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
              double took = (System.nanoTime() - t) / 1e6;
              if (r.statusCode() != 200) {
                throw new IllegalStateException(page.getKey() + " answered " + r.statusCode() + ": " + new String(r.body(), StandardCharsets.UTF_8));
              }
              ms.add(took);
            }
            if (round > 0) {
              all.computeIfAbsent(page.getKey(), k -> new ArrayList<>()).addAll(ms);
              roundP95.computeIfAbsent(page.getKey(), k -> new ArrayList<>()).add(percentile(ms, 95));
            }
          }
        }
        System.out.printf("%-18s %9s %9s %9s   %s%n", "page", "p50 ms", "p95 ms", "max ms", "p95 per round (min..max)");
        boolean met = true;
        for (String page : all.keySet()) {
          List<Double> ms = all.get(page);
          List<Double> per = roundP95.get(page);
          double p95 = percentile(ms, 95);
          met &= p95 < 100;
          System.out.printf("%-18s %9.2f %9.2f %9.2f   %.2f..%.2f%n", page, percentile(ms, 50), p95, ms.stream().mapToDouble(d -> d).max().orElse(0),
              per.stream().mapToDouble(d -> d).min().orElse(0), per.stream().mapToDouble(d -> d).max().orElse(0));
        }
        System.out.println(met ? "every page under 100 ms at p95" : "NOT MET: a page is at or over 100 ms at p95");
        return 0;
      }
    }
  }

  static double percentile(List<Double> values, int p) {
    double[] sorted = values.stream().mapToDouble(d -> d).toArray();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  /** A finished batch of {@code count} requests of two variants (variant 1 a bad case), and {@code judged} judgements of their pairs. */
  static void fill(ApiView view, int count, int judged) {
    Instant t0 = Instant.parse("2026-12-07T12:00:00Z");
    view.apply(BatchSubmitted.newBuilder().setBatchId(BATCH).setExpectedCount(count).setSubmitter("bench").setSource("bench")
        .setSubmittedAt(t0).build());
    List<HumanPreference> prefs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String requestId = String.format("%s.SKU-%05d", BATCH, i);
      PromptRequest request = PromptRequest.newBuilder().setRequestId(requestId).setBatchId(BATCH)
          .setPrompt("a blue porcelain tea cup on white, studio light #" + i).setLanguage(Language.EN).setWidth(512).setHeight(512)
          .setNumImages(2).setSubmittedAt(t0).build();
      List<RankedVariant> variants = new ArrayList<>();
      for (int v = 0; v < 2; v++) {
        String jobId = requestId + "-" + v;
        String uri = "s3://" + S3Settings.DEFAULT_BUCKET + "/images/" + BATCH + "/" + requestId + "/" + v + ".png";
        double score = v == 0 ? 0.8 : 0.3;
        Verdict verdict = v == 0 ? Verdict.ACCEPTED : Verdict.BAD_CASE;
        GenerationJob job = GenerationJob.newBuilder().setRequest(request).setVariant(v).setNumVariants(2).setJobId(jobId)
            .setNormalizedPrompt(request.getPrompt()).setRewrittenPrompt(request.getPrompt() + ", soft light, centred")
            .setRewriteStrategy("rules-bilingual").setRewriteVersion("1").setDetectedLanguage(Language.EN).setPromptTokens(20)
            .setRequestedSize(new Size(512, 512)).setSize(new Size(512, 512)).setSteps(4).setGuidanceScale(4.5f).setSeed(v)
            .setPackId("bench").setPackVersion("1").setCreatedAt(t0).build();
        GeneratedImage image = GeneratedImage.newBuilder().setJob(job).setStatus(ImageStatus.GENERATED).setImageUri(uri)
            .setSha256("ab".repeat(32)).setDeliveredSize(new Size(512, 512)).setTimings(StageTimings.newBuilder().build())
            .setWorkerId("bench").setGeneratedAt(t0).build();
        view.apply(ScoredImage.newBuilder().setImage(image)
            .setScores(List.of(new RewardScore("aesthetic", score, 0.5), new RewardScore("alignment_rewritten", score, 0.5)))
            .setOverallScore(score).setVerdict(verdict).setReasonCodes(v == 0 ? List.of() : List.of("LOW_AESTHETIC"))
            .setScoredAt(t0).build());
        variants.add(RankedVariant.newBuilder().setJobId(jobId).setVariant(v).setSeed(v).setImageUri(uri).setScore(score)
            .setVerdict(verdict).setRequestedSize(new Size(512, 512)).setDeliveredSize(new Size(512, 512)).build());
      }
      RequestResult result = RequestResult.newBuilder().setRequestId(requestId).setBatchId(BATCH).setStatus(RequestStatus.COMPLETED)
          .setNumVariants(2).setVariants(variants).setBestVariant(variants.get(0)).setCompletedAt(t0).build();
      view.apply(result);
      if (i < judged) {
        LabelPair pair = LabelPair.of(result, request.getPrompt(), null).get(0);
        PreferenceChoice[] choices = {PreferenceChoice.IMAGE_0, PreferenceChoice.IMAGE_1, PreferenceChoice.TIE, PreferenceChoice.SKIP};
        prefs.add(pair.judgement("bench-label-" + i, i % 2 == 0 ? "ann-a" : "ann-b", choices[i % 4], false, 1500, t0));
        if (i % 10 == 0) {
          prefs.add(pair.judgement("bench-label-" + i + "-b", "ann-c", choices[(i / 10) % 3], false, 1500, t0));
        }
      }
    }
    prefs.forEach(view::apply);
    view.apply(BatchResult.newBuilder().setBatchId(BATCH).setExpectedCount(count).setCompleted(count).setPartial(0).setRejected(0)
        .setImagesGenerated(2 * count).setBadCases(count).setCompletedAt(t0).build());
  }
}
