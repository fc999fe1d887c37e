package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.Language;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RewriteMode;
import io.inkflow.avro.Size;
import io.inkflow.inference.pack.RewritePolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class RequestPlannerTest {
  static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
  final RequestPlanner planner = TestPack.planner(PeLimits.defaults().withBlocklist(List.of("forbidden", "违禁")));

  static PromptRequest.Builder request(String id) {
    return PromptRequest.newBuilder().setRequestId(id).setBatchId("b1").setPrompt("a red circle on a blue background")
        .setNumImages(2).setSubmittedAt(NOW);
  }

  private List<GenerationJob> plan(PromptRequest r) {
    return planner.plan(r.getRequestId(), r, NOW);
  }

  private void refused(Consumer<PromptRequest.Builder> change, RejectReason reason, String messagePart) {
    PromptRequest.Builder b = request("r-1");
    change.accept(b);
    PromptRequest r = b.build();
    assertThatThrownBy(() -> plan(r))
        .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining(messagePart);
  }

  @Test
  void fansOutOneJobPerVariantWithResolvedParameters() {
    List<GenerationJob> jobs = plan(request("sku-1").setWidth(500).setHeight(500).setSeed(42L).build());
    assertThat(jobs).hasSize(2);
    GenerationJob j1 = jobs.get(1);
    assertThat(j1.getJobId()).isEqualTo("sku-1-1");
    assertThat(j1.getVariant()).isEqualTo(1);
    assertThat(j1.getNumVariants()).isEqualTo(2);
    assertThat(j1.getRequest().getPrompt()).isEqualTo("a red circle on a blue background");
    assertThat(j1.getRequestedSize()).isEqualTo(new Size(500, 500));
    assertThat(j1.getSize()).isEqualTo(new Size(512, 512));
    assertThat(j1.getSteps()).isEqualTo(TestPack.MANIFEST.scheduler().defaultSteps());
    assertThat((double) j1.getGuidanceScale()).isCloseTo(TestPack.MANIFEST.scheduler().defaultGuidance(), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(jobs).extracting(GenerationJob::getSeed).containsExactly(42L, 43L);
    assertThat(j1.getPackId()).isEqualTo(TestPack.MANIFEST.id());
    assertThat(j1.getPackVersion()).isEqualTo(TestPack.MANIFEST.version());
    assertThat(j1.getAttempt()).isEqualTo(1);
    assertThat(j1.getDetectedLanguage()).isEqualTo(Language.EN);
    assertThat(j1.getRewriteStrategy()).isEqualTo("rules-bilingual");
    assertThat(j1.getPromptTokens()).isEqualTo(TestPack.TOKENIZER.countTokens(j1.getRewrittenPrompt()));
  }

  @Test
  void snapsSizesByAspectThenArea() {
    assertThat(plan(request("a").setWidth(768).setHeight(512).build()).get(0).getSize()).isEqualTo(new Size(768, 512));
    assertThat(plan(request("b").setWidth(300).setHeight(450).build()).get(0).getSize()).isEqualTo(new Size(256, 384));
    assertThat(plan(request("c").setWidth(1600).setHeight(900).build()).get(0).getSize()).isEqualTo(new Size(768, 512));
    // Aspect only: the pack's base area at that ratio.
    GenerationJob byAspect = plan(request("d").setAspect("2:3").build()).get(0);
    assertThat(byAspect.getRequestedSize()).isEqualTo(new Size(418, 627));
    assertThat(byAspect.getSize()).isEqualTo(new Size(384, 576));
    // Nothing requested: the base-resolution square, and no requested size recorded.
    GenerationJob none = plan(request("e").build()).get(0);
    assertThat(none.getRequestedSize()).isNull();
    assertThat(none.getSize()).isEqualTo(new Size(512, 512));
  }

  @Test
  void refusesWhatIsOutOfRange() {
    refused(b -> b.setWidth(20000).setHeight(512), RejectReason.SIZE_OUT_OF_RANGE, "20000x512");
    refused(b -> b.setWidth(512), RejectReason.SIZE_OUT_OF_RANGE, "only one of width and height");
    refused(b -> b.setWidth(1600).setHeight(400), RejectReason.ASPECT_OUT_OF_RANGE, "aspect ratio 4.000");
    refused(b -> b.setAspect("wide"), RejectReason.ASPECT_OUT_OF_RANGE, "malformed");
    refused(b -> b.setAspect("0:1"), RejectReason.ASPECT_OUT_OF_RANGE, "zero side");
    refused(b -> b.setNumImages(0), RejectReason.NUM_IMAGES_OUT_OF_RANGE, "numImages is 0");
    refused(b -> b.setNumImages(1000), RejectReason.NUM_IMAGES_OUT_OF_RANGE, "expected 1..8");
    refused(b -> b.setSteps(0), RejectReason.STEPS_OUT_OF_RANGE, "steps is 0");
    refused(b -> b.setSteps(10_000), RejectReason.STEPS_OUT_OF_RANGE, "steps is 10000");
    refused(b -> b.setGuidanceScale(Float.NaN), RejectReason.GUIDANCE_OUT_OF_RANGE, "NaN");
    refused(b -> b.setGuidanceScale(-1f), RejectReason.GUIDANCE_OUT_OF_RANGE, "-1.0");
    refused(b -> b.setGuidanceScale(Float.POSITIVE_INFINITY), RejectReason.GUIDANCE_OUT_OF_RANGE, "Infinity");
    refused(b -> b.setPrompt("   \u200B "), RejectReason.EMPTY_PROMPT, "empty");
    refused(b -> b.setPrompt("x".repeat(2001)), RejectReason.PROMPT_TOO_LONG, "2001 characters");
    refused(b -> b.setPrompt("x".repeat(1_000_000)), RejectReason.PROMPT_TOO_LONG, "1000000 characters");
    refused(b -> b.setPrompt("word ".repeat(300)), RejectReason.TOO_MANY_TOKENS, "tokens");
    refused(b -> b.setNegativePrompt("n".repeat(1001)), RejectReason.PROMPT_TOO_LONG, "negativePrompt");
    refused(b -> b.setRenderText(List.of("a", "b", "c", "d", "e")), RejectReason.RENDER_TEXT_INVALID, "5 render texts");
    refused(b -> b.setRenderText(List.of("\u200B")), RejectReason.RENDER_TEXT_INVALID, "empty");
    refused(b -> b.setRenderText(List.of("长".repeat(1000))), RejectReason.RENDER_TEXT_INVALID, "renderText has 1000 characters");
    refused(b -> b.setTags(tags(40)), RejectReason.TOO_MANY_TAGS, "40 tags");
    refused(b -> b.setTags(Map.of("k", "v".repeat(300))), RejectReason.TOO_MANY_TAGS, "longer than 256");
    refused(b -> b.setPrompt("a FORBIDDEN thing"), RejectReason.BLOCKED_CONTENT, "blocked");
    refused(b -> b.setPrompt("一个违禁物品"), RejectReason.BLOCKED_CONTENT, "blocked");
    // A render text too long to draw is still echoed in the job and the result, so it is checked too.
    refused(b -> b.setRenderText(List.of("a forbidden " + "x".repeat(80))), RejectReason.BLOCKED_CONTENT, "blocked");
    refused(b -> b.setBatchId("../../etc"), RejectReason.INVALID_BATCH_ID, "unsafe");
    refused(b -> b.setPrompt("bad \uDC00"), RejectReason.INVALID_CHARACTERS, "lone surrogate");
  }

  @Test
  void textsOverTheGlyphBudgetAreDroppedAndListedWhetherGivenOrQuoted() {
    int budget = TestPack.MANIFEST.glyphMaxLength();
    String fits = "春";
    String tooBig = "长".repeat(budget / 3 + 1); // 3 UTF-8 bytes each: over the budget on its own
    String tooLong = "x".repeat(PeLimits.defaults().maxRenderTextChars() + 5);
    GenerationJob given = plan(request("g").setRenderText(List.of(fits, tooBig)).build()).get(0);
    GenerationJob quoted = plan(request("q").setPrompt("a poster with “" + fits + "” and “" + tooBig + "”").build()).get(0);
    for (GenerationJob job : List.of(given, quoted)) {
      assertThat(job.getGlyphTexts()).containsExactly(fits);
      assertThat(job.getDroppedGlyphTexts()).containsExactly(tooBig);
    }
    // Longer than a render text may be (quotations that long are not taken as texts at all): listed, cut.
    GenerationJob long_ = plan(request("l").setRenderText(List.of(tooLong, fits)).build()).get(0);
    assertThat(long_.getGlyphTexts()).containsExactly(fits);
    assertThat(long_.getDroppedGlyphTexts()).containsExactly("x".repeat(PeLimits.defaults().maxRenderTextChars()) + "…");
    // Nothing dropped: the list is empty, not absent.
    assertThat(plan(request("n").setRenderText(List.of(fits)).build()).get(0).getDroppedGlyphTexts()).isEmpty();
  }

  @Test
  void blocklistMatchesWholeLatinWordsOnly() {
    assertThat(plan(request("ok").setPrompt("an unforbiddenly red circle").build())).hasSize(2);
  }

  @Test
  void refusesUnsafeOrMismatchedIds() {
    for (String bad : List.of("", "../x", "a/b", "a b", ".hidden", "a..b", "x".repeat(129), "ü")) {
      PromptRequest r = request(bad).build();
      assertThatThrownBy(() -> planner.plan(bad, r, NOW)).as(bad)
          .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.INVALID_REQUEST_ID));
    }
    PromptRequest r = request("r-2").build();
    assertThatThrownBy(() -> planner.plan("other", r, NOW))
        .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.KEY_MISMATCH));
    assertThatThrownBy(() -> planner.plan(null, r, NOW))
        .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.KEY_MISMATCH));
  }

  @Test
  void seedsAreSeedPlusVariantOrAStableHash() {
    PromptRequest given = request("s").setSeed(7L).setNumImages(3).build();
    assertThat(plan(given)).extracting(GenerationJob::getSeed).containsExactly(7L, 8L, 9L);
    List<Long> derived = plan(request("s").setNumImages(3).build()).stream().map(GenerationJob::getSeed).toList();
    assertThat(derived).doesNotHaveDuplicates().allMatch(s -> s >= 0);
    // Derived from requestId and variant only: the same id gives the same seeds whatever else changes.
    assertThat(plan(request("s").setNumImages(3).setPrompt("something else").build()).stream().map(GenerationJob::getSeed).toList())
        .isEqualTo(derived);
    assertThat(RequestPlanner.seed(request("s").build(), 0)).isEqualTo(derived.get(0));
    assertThat(RequestPlanner.seed(request("t").build(), 0)).isNotEqualTo(derived.get(0));
  }

  @Test
  void rewriteKeepsSubjectAndLiteralTextAndOffPassesThrough() {
    GenerationJob zh = plan(request("zh").setPrompt("用青花瓷风格写出“春”字，作为海报中心元素").build()).get(0);
    assertThat(zh.getNormalizedPrompt()).isEqualTo("用青花瓷风格写出“春”字,作为海报中心元素");
    assertThat(zh.getRewrittenPrompt()).startsWith(zh.getNormalizedPrompt()).contains("“春”");
    assertThat(zh.getRewrittenPrompt()).isNotEqualTo(zh.getNormalizedPrompt()).contains("文字清晰可读");
    assertThat(zh.getGlyphTexts()).containsExactly("春");
    assertThat(zh.getDetectedLanguage()).isEqualTo(Language.ZH);
    assertThat(zh.getPromptTokens()).isLessThanOrEqualTo(TestPack.TOKENIZER.maxLength());

    GenerationJob en = plan(request("en").setPrompt("white running shoe, side view, studio lighting").setTags(Map.of("category", "footwear")).build()).get(0);
    assertThat(en.getRewrittenPrompt()).startsWith("white running shoe, side view, studio lighting, ").contains("editorial fashion photography");
    assertThat(en.getPromptTokens()).isLessThanOrEqualTo(TestPack.TOKENIZER.maxLength());

    GenerationJob off = plan(request("off").setPrompt("a red circle").setRewriteMode(RewriteMode.OFF).build()).get(0);
    assertThat(off.getRewrittenPrompt()).isEqualTo("a red circle");
    assertThat(off.getRewriteStrategy()).isEqualTo("passthrough");
  }

  @Test
  void rewriterStaysWithinTheTokenBudgetAndTheVocabulary() {
    RuleBasedRewriter rewriter = new RuleBasedRewriter();
    String prompt = "a red circle on a blue background";
    int budget = TestPack.TOKENIZER.countTokens(prompt) + 3;
    String out = rewriter.rewrite(new RewriteStrategy.Input(prompt, Language.EN, List.of(), null,
        new RewritePolicy(RewritePolicy.Mode.ON, List.of()), budget, TestPack.TOKENIZER::countTokens));
    assertThat(out).startsWith(prompt);
    assertThat(TestPack.TOKENIZER.countTokens(out)).isLessThanOrEqualTo(budget);

    String restricted = rewriter.rewrite(new RewriteStrategy.Input(prompt, Language.EN, List.of(), null,
        new RewritePolicy(RewritePolicy.Mode.VOCABULARY, List.of("high", "quality", "red", "circle")), 64, TestPack.TOKENIZER::countTokens));
    assertThat(restricted).isEqualTo(prompt + ", high quality");
    assertThat(rewriter.rewrite(new RewriteStrategy.Input(prompt, Language.EN, List.of(), null,
        new RewritePolicy(RewritePolicy.Mode.OFF, List.of()), 64, TestPack.TOKENIZER::countTokens))).isEqualTo(prompt);
  }

  @Test
  void identityIgnoresSubmittedAtAndTagOrderButNothingElse() {
    PromptRequest a = request("i").setTags(new java.util.LinkedHashMap<>(Map.of("a", "1", "b", "2"))).build();
    java.util.LinkedHashMap<String, String> reversed = new java.util.LinkedHashMap<>();
    reversed.put("b", "2");
    reversed.put("a", "1");
    PromptRequest later = PromptRequest.newBuilder(a).setSubmittedAt(NOW.plusSeconds(3600)).setTags(reversed).build();
    assertThat(RequestIdentity.of(later)).isEqualTo(RequestIdentity.of(a)).hasSize(64);
    assertThat(RequestIdentity.of(PromptRequest.newBuilder(a).setSeed(1L).build())).isNotEqualTo(RequestIdentity.of(a));
    assertThat(RequestIdentity.of(PromptRequest.newBuilder(a).setPrompt("other").build())).isNotEqualTo(RequestIdentity.of(a));
  }

  private static Map<String, String> tags(int n) {
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      m.put("k" + i, "v");
    }
    return m;
  }

  @Test
  void aPackThatDrawsSmallAcceptsItsOwnBucketSidesAndOnlyThemBelowTheConfiguredMinimum() {
    java.nio.file.Path dir = java.nio.file.Path.of("..", "infra", "models", "mini-mmdit-flow").toAbsolutePath().normalize();
    io.inkflow.inference.pack.PackManifest mini = io.inkflow.inference.pack.PackManifest.read(dir);
    try (io.inkflow.inference.text.PackTokenizer tokenizer = io.inkflow.inference.text.PackTokenizer.open(mini.tokenizer(), mini.dir())) {
      RequestPlanner small = new RequestPlanner(mini, tokenizer, PeLimits.defaults(), new RuleBasedRewriter());
      List<GenerationJob> jobs = small.plan("m-1", request("m-1").setWidth(48).setHeight(64).build(), NOW);
      assertThat(jobs).extracting(GenerationJob::getSize).containsOnly(new Size(48, 64));
      PromptRequest tooSmall = request("m-2").setWidth(47).setHeight(64).build();
      assertThatThrownBy(() -> small.plan("m-2", tooSmall, NOW))
          .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.SIZE_OUT_OF_RANGE))
          .hasMessageContaining("48..");
      // the rewrite keeps to the pack's vocabulary
      assertThat(jobs.get(0).getRewrittenPrompt()).startsWith("a red circle on a blue background");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void safeIdsAreExactlyTheOnesTheRuleDescribes() {
    java.util.regex.Pattern rule = java.util.regex.Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");
    String alphabet = "aZ09_-./ \\é春:";
    java.util.Random random = new java.util.Random(3);
    int safe = 0;
    for (int n = 0; n < 20_000; n++) {
      StringBuilder id = new StringBuilder();
      for (int k = random.nextInt(8); k > 0; k--) {
        id.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String s = id.toString();
      boolean expected = rule.matcher(s).matches() && !s.contains("..");
      assertThat(RequestPlanner.isSafeId(s)).as(s).isEqualTo(expected);
      safe += expected ? 1 : 0;
    }
    assertThat(safe).isGreaterThan(1_000);
  }
}
