package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.SchedulerChoice;
import io.inkflow.avro.Size;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.text.PackTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PE stream's decisions for packs read from diffusers exports (the committed tiny-sd and tiny-sdxl). */
class ExportPackPlannerTest {
  static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
  static final PackManifest SD = PackManifest.read(models("tiny-sd"));
  static final PackManifest SDXL = PackManifest.read(models("tiny-sdxl"));

  static Path models(String name) {
    return Path.of("..", "infra", "models", name).toAbsolutePath().normalize();
  }

  static final Map<PackManifest, PackTokenizer> TOKENIZERS = new ConcurrentHashMap<>();

  static PackTokenizer tokenizer(PackManifest pack) {
    return TOKENIZERS.computeIfAbsent(pack, p -> PackTokenizer.open(p.tokenizer(), p.dir()));
  }

  static RequestPlanner planner(PackManifest pack) {
    return new RequestPlanner(pack, tokenizer(pack), PeLimits.defaults(), new RuleBasedRewriter());
  }

  static PromptRequest.Builder request(String prompt) {
    return PromptRequest.newBuilder().setRequestId("r-1").setPrompt(prompt).setNumImages(2).setSubmittedAt(NOW);
  }

  private static List<GenerationJob> plan(PackManifest pack, PromptRequest r) {
    return planner(pack).plan(r.getRequestId(), r, NOW);
  }

  @Test
  void jobsRecordTheSchedulerAndWhatItReplaced() {
    GenerationJob sd = plan(SD, request("a photo of a cat").build()).get(0);
    assertThat(sd.getScheduler()).isEqualTo(new SchedulerChoice("EulerDiscreteScheduler", "linspace", "PNDMScheduler"));
    assertThat(sd.getSafetyChecked()).isFalse();
    assertThat(sd.getSize()).isEqualTo(new Size(64, 64));
    assertThat(sd.getSteps()).isEqualTo(4);
    assertThat(sd.getPackId()).isEqualTo(SD.id()).startsWith("sd-");
    GenerationJob xl = plan(SDXL, request("a photo of a cat").build()).get(0);
    assertThat(xl.getScheduler()).isEqualTo(new SchedulerChoice("EulerDiscreteScheduler", "leading", null));
    assertThat(xl.getSize()).isEqualTo(new Size(128, 128));
    // The jobs of one request share their scheduler and notes (one object each, for the fan-out encoder).
    List<GenerationJob> jobs = plan(SD, request("a cat").build());
    assertThat(jobs.get(0).getScheduler()).isSameAs(jobs.get(1).getScheduler());
    assertThat(jobs.get(0).getPipelineNotes()).isSameAs(jobs.get(1).getPipelineNotes());
  }

  @Test
  void aChinesePromptIsRefusedOrPassedWithANoteAsThePackSays() {
    // tiny-sd refuses other languages, tiny-sdxl warns.
    assertThatThrownBy(() -> plan(SD, request("一只可爱的猫坐在窗台上").build()))
        .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.LANGUAGE_UNSUPPORTED))
        .hasMessageContaining("prompt is in zh").hasMessageContaining("[en]").hasMessageContaining("expected a prompt in en");
    GenerationJob warned = plan(SDXL, request("一只可爱的猫坐在窗台上").build()).get(0);
    assertThat(warned.getPipelineNotes()).containsKey("language");
    assertThat(warned.getPipelineNotes().get("language")).contains("prompt is in zh");
    // English is fine for both, and leaves no note.
    assertThat(plan(SD, request("a cat on a windowsill").build()).get(0).getPipelineNotes()).isEmpty();
  }

  @Test
  void aNegativePromptWithoutGuidanceIsNotedAsIgnored() {
    GenerationJob job = plan(SD, request("a cat").setNegativePrompt("blurry").setGuidanceScale(1.0f).build()).get(0);
    assertThat(job.getPipelineNotes()).containsKey("negativePromptIgnored");
    GenerationJob guided = plan(SD, request("a cat").setNegativePrompt("blurry").setGuidanceScale(7.0f).build()).get(0);
    assertThat(guided.getPipelineNotes()).doesNotContainKey("negativePromptIgnored");
  }

  @Test
  void anExplicitEmptyNegativePromptStaysEmptyAndAnAbsentOneNull() {
    assertThat(plan(SDXL, request("a cat").setNegativePrompt("  ").build()).get(0).getNormalizedNegativePrompt()).isEqualTo("");
    assertThat(plan(SDXL, request("a cat").build()).get(0).getNormalizedNegativePrompt()).isNull();
  }

  @Test
  void textsToDrawAreQuotedIntoThePrompt() {
    GenerationJob job = plan(SD, request("a poster for a tea shop").setRenderText(List.of("SALE")).build()).get(0);
    assertThat(job.getRewrittenPrompt()).contains("\"SALE\"");
    assertThat(job.getGlyphTexts()).containsExactly("SALE");
    assertThat(job.getPipelineNotes()).containsKey("promptAppended");
    // Already quoted in the prompt: nothing added.
    GenerationJob quoted = plan(SD, request("a poster that says \"OPEN\"").build()).get(0);
    assertThat(quoted.getGlyphTexts()).containsExactly("OPEN");
    assertThat(quoted.getPipelineNotes()).doesNotContainKey("promptAppended");
  }

  @Test
  void aPromptOverSeventySevenTokensIsCutFromTheEndAndTheCutRecorded() {
    StringBuilder words = new StringBuilder("a red teapot");
    for (int i = 0; i < 120; i++) {
      words.append(" detail").append(i);
    }
    PromptRequest r = request(words.toString()).setRenderText(List.of("SALE")).build();
    GenerationJob job = plan(SD, r).get(0);
    PackTokenizer tokenizer = tokenizer(SD);
    assertThat(tokenizer.countTokens(job.getRewrittenPrompt())).isLessThanOrEqualTo(77);
    assertThat(job.getRewrittenPrompt()).startsWith("a red teapot detail0 detail1");
    assertThat(job.getSanitizations()).contains(ExportRules.TRUNCATED_PROMPT, ExportRules.TRUNCATED_GLYPH_TEXT);
    assertThat(job.getPipelineNotes().get("truncated")).contains("prompt cut from").contains("\"SALE\" not added");
    assertThat(job.getPromptTokens()).isEqualTo(tokenizer.countTokens(job.getRewrittenPrompt()));
  }

  @Test
  void sizesStepsAndGuidanceOffThePacksRangesAreRefusedOrSnapped() {
    assertThat(plan(SD, request("a cat").setWidth(100).setHeight(64).build()).get(0).getSize().getWidth() % 8).isZero();
    assertThatThrownBy(() -> plan(SD, request("a cat").setSteps(9).build()))
        .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.STEPS_OUT_OF_RANGE))
        .hasMessageContaining("expected 1..8");
    assertThatThrownBy(() -> plan(SD, request("a cat").setGuidanceScale(0.5f).build()))
        .isInstanceOfSatisfying(Rejection.class, e -> assertThat(e.reason()).isEqualTo(RejectReason.GUIDANCE_OUT_OF_RANGE));
  }

  @Test
  void cuttingNeverSplitsASurrogatePairAndFits() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      s.append(i % 3 == 0 ? "\uD83D\uDE00" : "word").append(' ');
    }
    PackTokenizer tokenizer = tokenizer(SD);
    String cut = ExportRules.cut(s.toString(), tokenizer::countTokens, 77);
    assertThat(tokenizer.countTokens(cut)).isLessThanOrEqualTo(77);
    assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 1))).isFalse();
    assertThat(s.toString()).startsWith(cut);
  }

  static final PackManifest SD3 = PackManifest.read(models("tiny-sd3"));
  static final PackManifest FLUX = PackManifest.read(models("tiny-flux"));

  @Test
  void sd3AndFluxBudgetThePromptWithT5AndRecordWhatTheirModelsIgnore() {
    GenerationJob flux = plan(FLUX, request("a photo of a cat").setNegativePrompt("blurry").setGuidanceScale(0.5f).build())
        .get(0);
    assertThat(flux.getScheduler().getClassName()).isEqualTo("FlowMatchEulerDiscreteScheduler");
    assertThat(flux.getPipelineNotes()).containsKeys("negativePromptIgnored", "guidanceIgnored");
    assertThat(flux.getPipelineNotes().get("negativePromptIgnored")).contains("FLUX.1");
    assertThat(FLUX.tokenizer().maxLength()).isEqualTo(32);
    StringBuilder words = new StringBuilder("a red teapot");
    for (int i = 0; i < 40; i++) {
      words.append(" and a cup");
    }
    GenerationJob cut = plan(SD3, request(words.toString()).build()).get(0);
    assertThat(tokenizer(SD3).countTokens(cut.getRewrittenPrompt())).isLessThanOrEqualTo(32);
    assertThat(cut.getSanitizations()).contains(ExportRules.TRUNCATED_PROMPT);
    assertThat(cut.getPromptTokens()).isEqualTo(tokenizer(SD3).countTokens(cut.getRewrittenPrompt()));
  }

  @Test
  void anSd3ExportWithoutT5SaysItsBlockIsZerosAndALongPromptNotesTheClipCut(@TempDir Path tmp) throws IOException {
    Path noT5 = copy(models("tiny-sd3"), tmp.resolve("no-t5"));
    deleteTree(noT5.resolve("text_encoder_3"));
    deleteTree(noT5.resolve("tokenizer_3"));
    PackManifest pack = PackManifest.read(noT5);
    assertThat(pack.tokenizer().maxLength()).isEqualTo(77);
    assertThat(plan(pack, request("a cat").build()).get(0).getPipelineNotes()).containsKey("t5");

    Path longT5 = copy(models("tiny-sd3"), tmp.resolve("long-t5"));
    Path options = longT5.resolve("inkflow.json");
    Files.writeString(options, Files.readString(options).replace("\"t5MaxLength\": 32", "\"t5MaxLength\": 256"));
    StringBuilder words = new StringBuilder("a red teapot");
    for (int i = 0; i < 30; i++) {
      words.append(" and a cup");
    }
    GenerationJob job = plan(PackManifest.read(longT5), request(words.toString()).build()).get(0);
    assertThat(job.getPipelineNotes().get("clipTruncated")).contains("the CLIP encoders read the first 75");
    assertThat(job.getSanitizations()).doesNotContain(ExportRules.TRUNCATED_PROMPT);
  }

  static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        if (p.toString().contains("golden")) {
          continue;
        }
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return to;
  }

  static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
