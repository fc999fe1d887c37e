package io.inkflow.testing.arbitrary;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.HumanPreference;
import io.inkflow.avro.HumanVerdict;
import io.inkflow.avro.Language;
import io.inkflow.avro.PreferenceChoice;
import io.inkflow.avro.Priority;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.ReviewDecision;
import io.inkflow.avro.RewriteMode;
import io.inkflow.avro.Verdict;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Builders;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Arbitrary events for the property tier: {@link PromptRequest}s whose every optional field is
 * either left at its schema default or set to a plausible, extreme or hostile value (sides, counts,
 * steps and seeds at {@code Integer}/{@code Long} MIN and MAX, negative and zero; guidance NaN and
 * infinite; {@link ArbitraryText} strings; big tag maps; null batch ids), and {@link GenerationJob}s
 * nesting them; people's judgements ({@link HumanPreference}, {@link HumanVerdict}) with hostile annotator
 * names and reasons. One place (this module, a test dependency of the others), so every module's
 * properties draw from the same distribution.
 */
public final class ArbitraryEvents {
  private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");

  private ArbitraryEvents() {}

  /** Any request, a few percent of them malformed (a null where the schema forbids one): the serializer refuses those. */
  public static Arbitrary<PromptRequest> requests() {
    return Combinators.combine(wellFormedRequests(), malformations()).as((r, m) -> m.apply(r));
  }

  /** Requests the serializer can write: every required field and every collection element present. */
  public static Arbitrary<PromptRequest> wellFormedRequests() {
    Arbitrary<PromptRequest> full = Builders.withBuilder(PromptRequest::newBuilder)
        .use(ArbitraryText.ids()).in(PromptRequest.Builder::setRequestId)
        .use(ArbitraryText.ids().injectNull(0.35)).withProbability(0.8).in(PromptRequest.Builder::setBatchId)
        .use(prompts()).in(PromptRequest.Builder::setPrompt)
        .use(ArbitraryText.text()).withProbability(0.3).in(PromptRequest.Builder::setNegativePrompt)
        .use(Arbitraries.of(Language.class)).withProbability(0.4).in(PromptRequest.Builder::setLanguage)
        .use(renderTexts()).withProbability(0.4).in(PromptRequest.Builder::setRenderText)
        .use(sizes()).withProbability(0.6).in((b, size) -> b.setWidth(size.get1()).setHeight(size.get2()))
        .use(aspects()).withProbability(0.25).in(PromptRequest.Builder::setAspect)
        .use(numImages()).withProbability(0.7).in(PromptRequest.Builder::setNumImages)
        .use(seeds()).withProbability(0.5).in(PromptRequest.Builder::setSeed)
        .use(steps()).withProbability(0.4).in(PromptRequest.Builder::setSteps)
        .use(guidance()).withProbability(0.4).in(PromptRequest.Builder::setGuidanceScale)
        .use(Arbitraries.of(RewriteMode.class)).withProbability(0.3).in(PromptRequest.Builder::setRewriteMode)
        .use(Arbitraries.of(Priority.class)).withProbability(0.3).in(PromptRequest.Builder::setPriority)
        .use(tags()).withProbability(0.4).in(PromptRequest.Builder::setTags)
        .use(timestamps()).in(PromptRequest.Builder::setSubmittedAt)
        .build(PromptRequest.Builder::build);
    // Only the three required fields set: every optional one at its schema default.
    Arbitrary<PromptRequest> minimal = Combinators.combine(ArbitraryText.ids(), prompts(), timestamps())
        .as((id, prompt, at) -> PromptRequest.newBuilder().setRequestId(id).setPrompt(prompt).setSubmittedAt(at).build());
    return Arbitraries.frequencyOf(Tuple.of(9, full), Tuple.of(1, minimal));
  }

  /**
   * Jobs as a PE stage would emit them for arbitrary requests, built on {@code template} (which
   * carries the pack, size, steps and other resolved numbers the consumer needs): the request nested
   * as received, and the job's own strings (job id, prompts, strategy, glyph texts, sanitizations)
   * arbitrary too.
   */
  public static Arbitrary<GenerationJob> jobs(GenerationJob template, Arbitrary<PromptRequest> requests) {
    return Builders.withBuilder(() -> GenerationJob.newBuilder(template))
        .use(requests).in(GenerationJob.Builder::setRequest)
        .use(ArbitraryText.ids()).in(GenerationJob.Builder::setJobId)
        .use(ArbitraryText.text()).in(GenerationJob.Builder::setNormalizedPrompt)
        .use(ArbitraryText.text().injectNull(0.5)).in(GenerationJob.Builder::setNormalizedNegativePrompt)
        .use(ArbitraryText.text()).in(GenerationJob.Builder::setRewrittenPrompt)
        .use(ArbitraryText.text()).withProbability(0.3).in(GenerationJob.Builder::setRewriteStrategy)
        .use(ArbitraryText.text()).withProbability(0.3).in(GenerationJob.Builder::setRewriteVersion)
        .use(Arbitraries.of(Language.class)).in(GenerationJob.Builder::setDetectedLanguage)
        .use(ArbitraryText.text().list().ofMaxSize(4)).in(GenerationJob.Builder::setGlyphTexts)
        .use(Arbitraries.of("STRIPPED_CONTROL", "STRIPPED_BIDI", "STRIPPED_ZERO_WIDTH", "NFKC").list().ofMaxSize(3))
            .in(GenerationJob.Builder::setSanitizations)
        .use(seeds()).in(GenerationJob.Builder::setSeed)
        .build(GenerationJob.Builder::build);
  }

  /**
   * Pairwise judgements as a labelling tool may send them: every string arbitrary (annotator names,
   * prompts and ids hostile, huge or blank), scores absent, NaN or infinite, every choice including
   * SKIP and UNKNOWN, times negative or huge; one in ten with only the required fields set.
   */
  public static Arbitrary<HumanPreference> humanPreferences() {
    Arbitrary<HumanPreference> full = Builders.withBuilder(HumanPreference::newBuilder)
        .use(ArbitraryText.ids()).in(HumanPreference.Builder::setLabelId)
        .use(ArbitraryText.ids()).in(HumanPreference.Builder::setPairId)
        .use(ArbitraryText.ids()).in(HumanPreference.Builder::setRequestId)
        .use(ArbitraryText.ids()).withProbability(0.7).in(HumanPreference.Builder::setBatchId)
        .use(prompts()).in(HumanPreference.Builder::setOriginalPrompt)
        .use(ArbitraryText.text()).withProbability(0.6).in(HumanPreference.Builder::setRewrittenPrompt)
        .use(ArbitraryText.ids()).in(HumanPreference.Builder::setImage0JobId)
        .use(ArbitraryText.text()).in(HumanPreference.Builder::setImage0Uri)
        .use(scores()).withProbability(0.7).in(HumanPreference.Builder::setImage0Score)
        .use(ArbitraryText.ids()).in(HumanPreference.Builder::setImage1JobId)
        .use(ArbitraryText.text()).in(HumanPreference.Builder::setImage1Uri)
        .use(scores()).withProbability(0.7).in(HumanPreference.Builder::setImage1Score)
        .use(Arbitraries.of(PreferenceChoice.class)).withProbability(0.9).in(HumanPreference.Builder::setChoice)
        .use(annotators()).in(HumanPreference.Builder::setAnnotator)
        .use(Arbitraries.of(true, false)).withProbability(0.5).in(HumanPreference.Builder::setSwapped)
        .use(durations()).withProbability(0.8).in(HumanPreference.Builder::setTimeTakenMs)
        .use(timestamps()).in(HumanPreference.Builder::setLabelledAt)
        .build(HumanPreference.Builder::build);
    Arbitrary<HumanPreference> minimal = Combinators.combine(ArbitraryText.ids(), prompts(), annotators(), timestamps())
        .as((id, prompt, annotator, at) -> HumanPreference.newBuilder().setLabelId(id).setPairId(id + "~x").setRequestId(id)
            .setOriginalPrompt(prompt).setImage0JobId(id + "-0").setImage0Uri("s3://b/0.png").setImage1JobId(id + "-1")
            .setImage1Uri("s3://b/1.png").setAnnotator(annotator).setLabelledAt(at).build());
    return Arbitraries.frequencyOf(Tuple.of(9, full), Tuple.of(1, minimal));
  }

  /**
   * Bad-case reviews as a review tool may send them: hostile reviewer names and reasons, every decision
   * and model verdict, scores absent or not finite; one in ten with only the required fields set.
   */
  public static Arbitrary<HumanVerdict> humanVerdicts() {
    Arbitrary<HumanVerdict> full = Builders.withBuilder(HumanVerdict::newBuilder)
        .use(ArbitraryText.ids()).in(HumanVerdict.Builder::setReviewId)
        .use(ArbitraryText.ids()).in(HumanVerdict.Builder::setJobId)
        .use(ArbitraryText.ids()).in(HumanVerdict.Builder::setRequestId)
        .use(ArbitraryText.ids()).withProbability(0.7).in(HumanVerdict.Builder::setBatchId)
        .use(prompts()).in(HumanVerdict.Builder::setOriginalPrompt)
        .use(ArbitraryText.text()).in(HumanVerdict.Builder::setImageUri)
        .use(Arbitraries.of(Verdict.class)).withProbability(0.9).in(HumanVerdict.Builder::setModelVerdict)
        .use(scores()).withProbability(0.7).in(HumanVerdict.Builder::setOverallScore)
        .use(ArbitraryText.text().list().ofMaxSize(4)).withProbability(0.6).in(HumanVerdict.Builder::setReasonCodes)
        .use(Arbitraries.of(ReviewDecision.class)).withProbability(0.9).in(HumanVerdict.Builder::setDecision)
        .use(ArbitraryText.text()).withProbability(0.5).in(HumanVerdict.Builder::setReason)
        .use(annotators()).in(HumanVerdict.Builder::setReviewer)
        .use(durations()).withProbability(0.8).in(HumanVerdict.Builder::setTimeTakenMs)
        .use(timestamps()).in(HumanVerdict.Builder::setReviewedAt)
        .build(HumanVerdict.Builder::build);
    Arbitrary<HumanVerdict> minimal = Combinators.combine(ArbitraryText.ids(), prompts(), annotators(), timestamps())
        .as((id, prompt, reviewer, at) -> HumanVerdict.newBuilder().setReviewId(id).setJobId(id + "-0").setRequestId(id)
            .setOriginalPrompt(prompt).setImageUri("s3://b/0.png").setReviewer(reviewer).setReviewedAt(at).build());
    return Arbitraries.frequencyOf(Tuple.of(9, full), Tuple.of(1, minimal));
  }

  /** Annotator names: plain account names, and hostile ones (RTL overrides, zero-width joins, emoji, markup, blank, huge). */
  public static Arbitrary<String> annotators() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of("li.wei", "ann", "bob@example.com", "王芳", "Zoë")),
        Tuple.of(2, Arbitraries.of("\u202Eevil\u202C", "a\u200Db", "\uD83D\uDC69\uD83C\uDFFD\u200D\uD83D\uDCBB",
            "<script>alert(1)</script>", "\"><img onerror=x>", "", " ", "ann\u0000", "ANN", "ann ")),
        Tuple.of(3, ArbitraryText.text()));
  }

  private static Arbitrary<Double> scores() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.doubles().between(0, 1)),
        Tuple.of(1, Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 0.0, 1.0, -1.0)));
  }

  private static Arbitrary<Long> durations() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.longs().between(0, 600_000)),
        Tuple.of(1, Arbitraries.of(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE)));
  }

  /**
   * Where {@code request} holds a null the schema forbids ("prompt", "tags[k]", "renderText[1]", …):
   * empty for a request the serializer can write.
   */
  public static List<String> nullsWhereForbidden(PromptRequest request) {
    List<String> out = new ArrayList<>();
    for (String field : List.of("requestId", "prompt", "language", "numImages", "rewriteMode", "priority", "tags", "submittedAt")) {
      if (request.get(field) == null) {
        out.add(field);
      }
    }
    if (request.getRenderText() != null) {
      for (int i = 0; i < request.getRenderText().size(); i++) {
        if (request.getRenderText().get(i) == null) {
          out.add("renderText[" + i + "]");
        }
      }
    }
    if (request.getTags() != null) {
      request.getTags().forEach((k, v) -> {
        if (k == null || v == null) {
          out.add("tags[" + ArbitraryText.brief(k) + "]");
        }
      });
    }
    return out;
  }

  /** A one-line summary of a request for statistics and reports: huge strings shown by length. */
  public static String summary(PromptRequest r) {
    return "requestId=" + ArbitraryText.brief(r.getRequestId()) + " batchId=" + ArbitraryText.brief(r.getBatchId())
        + " prompt=" + ArbitraryText.brief(r.getPrompt()) + " numImages=" + r.getNumImages() + " size=" + r.getWidth() + "x"
        + r.getHeight() + " aspect=" + ArbitraryText.brief(r.getAspect()) + " steps=" + r.getSteps() + " guidance="
        + r.getGuidanceScale() + " seed=" + r.getSeed() + " tags=" + (r.getTags() == null ? "null" : r.getTags().size());
  }

  private static Arbitrary<String> prompts() {
    return Arbitraries.frequencyOf(Tuple.of(3, ArbitraryText.prompts()), Tuple.of(2, ArbitraryText.text()));
  }

  private static Arbitrary<List<String>> renderTexts() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.just(List.of())),
        Tuple.of(3, ArbitraryText.text().list().ofMinSize(1).ofMaxSize(6)));
  }

  /** Width and height: both plausible, both arbitrary, or only one of them (null for the other). */
  private static Arbitrary<Tuple.Tuple2<Integer, Integer>> sizes() {
    Arbitrary<Integer> plausible = Arbitraries.of(256, 384, 512, 576, 768, 1024);
    return Arbitraries.frequencyOf(
        Tuple.of(5, Combinators.combine(plausible, plausible).as(Tuple::of)),
        Tuple.of(3, Combinators.combine(sides(), sides()).as(Tuple::of)),
        Tuple.of(1, sides().map(w -> Tuple.of(w, (Integer) null))),
        Tuple.of(1, sides().map(h -> Tuple.of((Integer) null, h))));
  }

  /** Sides: pack buckets and ordinary sizes, the PE range edges, and absurd ints. */
  private static Arbitrary<Integer> sides() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.of(256, 384, 512, 576, 768, 1024)),
        Tuple.of(3, Arbitraries.integers().between(64, 2048)),
        Tuple.of(3, Arbitraries.of(Integer.MIN_VALUE, -1, 0, 1, 63, 64, 2048, 2049, 100_000, Integer.MAX_VALUE)),
        Tuple.of(1, Arbitraries.integers()));
  }

  private static Arbitrary<String> aspects() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of("1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "1x1", "3/2", " 3 : 2 ", "1.5:1")),
        Tuple.of(2, Arbitraries.of("10:1", "1:10", "0:0", "0:1", "1:0", "9999.999:0.001", "0.001:9999", "abc", "1e9:1",
            "-1:2", "NaN:1", "Infinity:1", "", ":", "3:2:1", "１:１")),
        Tuple.of(1, ArbitraryText.text()));
  }

  private static Arbitrary<Integer> numImages() {
    return Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.integers().between(1, 8)),
        Tuple.of(2, Arbitraries.of(Integer.MIN_VALUE, -1, 0, 9, 1000, Integer.MAX_VALUE)),
        Tuple.of(1, Arbitraries.integers()));
  }

  private static Arbitrary<Integer> steps() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.integers().between(1, 50)),
        Tuple.of(2, Arbitraries.of(Integer.MIN_VALUE, -1, 0, 51, 999, Integer.MAX_VALUE)),
        Tuple.of(1, Arbitraries.integers()));
  }

  private static Arbitrary<Float> guidance() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.floats().between(0, 20)),
        Tuple.of(3, Arbitraries.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, 1f,
            Float.MIN_VALUE, Float.MAX_VALUE, -Float.MAX_VALUE, -1f)),
        Tuple.of(1, Arbitraries.floats()));
  }

  /** Seeds, where seed + variant may overflow. */
  static Arbitrary<Long> seeds() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.longs().between(0, 1_000_000)),
        Tuple.of(2, Arbitraries.of(Long.MIN_VALUE, -1L, 0L, Long.MAX_VALUE - 1, Long.MAX_VALUE, (long) Integer.MAX_VALUE + 1)),
        Tuple.of(1, Arbitraries.longs()));
  }

  private static Arbitrary<Map<String, String>> tags() {
    Arbitrary<Map<String, String>> small = Arbitraries.maps(ArbitraryText.ids(), ArbitraryText.text()).ofMaxSize(6);
    Arbitrary<Map<String, String>> category = ArbitraryText.text().map(c -> Map.of("category", c, "sku", "TEA-003"));
    Arbitrary<Map<String, String>> big = Arbitraries.of(32, 33, 1_000, 20_000).map(ArbitraryEvents::bigMap);
    return Arbitraries.frequencyOf(Tuple.of(1, Arbitraries.just(Map.of())), Tuple.of(4, small), Tuple.of(2, category),
        Tuple.of(1, big));
  }

  private static Map<String, String> bigMap(int entries) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < entries; i++) {
      m.put("t" + i, "v" + i);
    }
    return m;
  }

  private static Arbitrary<Instant> timestamps() {
    return Arbitraries.frequencyOf(
        Tuple.of(5, Arbitraries.longs().between(0, 86_400_000L * 365).map(T0::plusMillis)),
        Tuple.of(1, Arbitraries.of(Instant.EPOCH, Instant.ofEpochMilli(-1), Instant.ofEpochMilli(Long.MIN_VALUE),
            Instant.ofEpochMilli(Long.MAX_VALUE))));
  }

  /** Mostly nothing; sometimes a null where the schema forbids one. Applied to a copy. */
  private static Arbitrary<UnaryOperator<PromptRequest>> malformations() {
    return Arbitraries.frequencyOf(
        Tuple.of(60, Arbitraries.just(UnaryOperator.identity())),
        Tuple.of(1, Arbitraries.just(copyThen(r -> r.setRequestId(null)))),
        Tuple.of(1, Arbitraries.just(copyThen(r -> r.setPrompt(null)))),
        Tuple.of(1, Arbitraries.just(copyThen(r -> r.put("submittedAt", null)))),
        Tuple.of(1, Arbitraries.just(copyThen(r -> r.setLanguage(null)))),
        Tuple.of(1, Arbitraries.just(copyThen(r -> r.setTags(null)))),
        Tuple.of(1, Arbitraries.just(copyThen(r -> {
          Map<String, String> tags = new HashMap<>(r.getTags());
          tags.put("sku", null);
          r.setTags(tags);
        }))),
        Tuple.of(1, Arbitraries.just(copyThen(r -> {
          List<String> texts = new ArrayList<>(r.getRenderText() == null ? List.of("春") : r.getRenderText());
          texts.add(null);
          r.setRenderText(texts);
        }))));
  }

  private static UnaryOperator<PromptRequest> copyThen(Consumer<PromptRequest> change) {
    return r -> {
      PromptRequest copy = PromptRequest.newBuilder(r).build();
      change.accept(copy);
      return copy;
    };
  }
}
