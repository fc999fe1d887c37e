package io.inkflow.streams.rewrite;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.Language;
import io.inkflow.avro.PromptRequest;
import io.inkflow.avro.RewriteMode;
import io.inkflow.avro.Size;
import io.inkflow.common.Digests;
import io.inkflow.inference.pack.Bucket;
import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.pack.RewritePolicy;
import io.inkflow.inference.pack.SchedulerSpec;
import io.inkflow.inference.text.GlyphTokenizer;
import io.inkflow.inference.text.PackTokenizer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PE stage's decisions for one request, as a pure function: validate, clean, understand, resolve
 * parameters from the deployed pack's manifest, rewrite, and fan out one {@link GenerationJob} per
 * variant — or refuse with a {@link Rejection}. No Kafka here.
 */
public final class RequestPlanner {
  private static final Pattern ASPECT = Pattern.compile("\\s*(\\d{1,4}(?:\\.\\d{1,3})?)\\s*[:x/]\\s*(\\d{1,4}(?:\\.\\d{1,3})?)\\s*");

  private final PackManifest pack;
  private final PackTokenizer tokenizer;
  private final PeLimits limits;
  private final RewriteStrategy rewriter;
  private final double minAspect;
  private final double maxAspect;
  /** The configured smallest side, lowered to the pack's smallest bucket side for packs that draw small. */
  private final int minSide;
  private final List<Predicate<String>> blocked;
  /** What a diffusers export needs of a prompt (languages, text to draw, the token budget); null for other packs. */
  private final ExportRules exportRules;

  public RequestPlanner(PackManifest pack, PackTokenizer tokenizer, PeLimits limits, RewriteStrategy rewriter) {
    this.pack = Objects.requireNonNull(pack, "pack");
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.rewriter = Objects.requireNonNull(rewriter, "rewriter");
    this.minAspect = pack.buckets().stream().mapToDouble(Bucket::aspect).min().orElseThrow() / limits.aspectSlack();
    this.maxAspect = pack.buckets().stream().mapToDouble(Bucket::aspect).max().orElseThrow() * limits.aspectSlack();
    this.blocked = limits.blocklist().stream().map(RequestPlanner::matcher).toList();
    this.minSide = Math.min(limits.minSide(),
        pack.buckets().stream().mapToInt(b -> Math.min(b.width(), b.height())).min().orElseThrow());
    this.exportRules = pack.isDiffusers() ? new ExportRules(pack) : null;
  }

  /**
   * Plans the jobs of a request.
   *
   * @param key the Kafka record key the request arrived under
   * @param now the creation time stamped on the jobs
   * @throws Rejection when the request is refused
   */
  public List<GenerationJob> plan(String key, PromptRequest request, Instant now) {
    checkId(request.getRequestId(), "requestId", RejectReason.INVALID_REQUEST_ID);
    if (!request.getRequestId().equals(key)) {
      throw new Rejection(RejectReason.KEY_MISMATCH, "record key " + quote(key)
          + " differs from requestId " + quote(request.getRequestId()) + "; expected the requestId as key");
    }
    if (request.getBatchId() != null) {
      checkId(request.getBatchId(), "batchId", RejectReason.INVALID_BATCH_ID);
    }
    checkTags(request.getTags());

    PromptText.Cleaned prompt = cleanLimited(request.getPrompt(), "prompt", limits.maxPromptChars());
    if (prompt.text().isEmpty()) {
      throw new Rejection(RejectReason.EMPTY_PROMPT, "prompt is empty or whitespace only; expected a description of the image");
    }
    String negative = null;
    if (request.getNegativePrompt() != null) {
      negative = cleanLimited(request.getNegativePrompt(), "negativePrompt", limits.maxNegativePromptChars()).text();
      // An explicit empty negative prompt differs from none for SDXL exports (encoded, not zeros).
      negative = negative.isEmpty() && !pack.isDiffusers() ? null : negative;
    }
    Glyphs glyphTexts = glyphTexts(request, prompt.text());
    List<String> glyphs = glyphTexts.drawn();
    // Texts that will not be drawn are still echoed in the job and the result: they are checked too.
    List<String> asked = new ArrayList<>(glyphs);
    asked.addAll(glyphTexts.dropped());
    checkBlocklist(prompt.text(), asked);

    int numImages = request.getNumImages();
    if (numImages < 1 || numImages > limits.maxNumImages()) {
      throw new Rejection(RejectReason.NUM_IMAGES_OUT_OF_RANGE,
          "numImages is " + numImages + "; expected 1.." + limits.maxNumImages());
    }
    Size requested = requestedSize(request);
    Bucket bucket = requested == null
        ? pack.nearestBucket(pack.baseResolution(), pack.baseResolution())
        : pack.nearestBucket(requested.getWidth(), requested.getHeight());
    SchedulerSpec sched = pack.scheduler();
    int steps = request.getSteps() == null ? sched.defaultSteps() : request.getSteps();
    if (steps < sched.minSteps() || steps > sched.maxSteps()) {
      throw new Rejection(RejectReason.STEPS_OUT_OF_RANGE,
          "steps is " + steps + "; expected " + sched.minSteps() + ".." + sched.maxSteps() + " for pack " + pack.id());
    }
    double guidance = request.getGuidanceScale() == null ? sched.defaultGuidance() : request.getGuidanceScale();
    if (!Double.isFinite(guidance) || guidance < sched.minGuidance() || guidance > sched.maxGuidance()) {
      throw new Rejection(RejectReason.GUIDANCE_OUT_OF_RANGE,
          "guidanceScale is " + guidance + "; expected " + sched.minGuidance() + ".." + sched.maxGuidance() + " for pack " + pack.id());
    }

    String withoutGlyphs = prompt.text();
    for (String g : glyphs) {
      withoutGlyphs = withoutGlyphs.replace(g, " ");
    }
    Language language = ScriptLanguage.detect(withoutGlyphs);
    if (language == Language.UNKNOWN) {
      language = request.getLanguage();
    }
    int budget = tokenizer.maxLength();
    String modelPrompt = prompt.text();
    List<String> sanitizations = prompt.changes();
    Map<String, String> notes = Map.of();
    if (exportRules != null) {
      ExportRules.Prepared prepared = exportRules.prepare(prompt.text(), language, glyphs, negative, guidance,
          request.getGuidanceScale() != null, tokenizer::countTokens, budget);
      modelPrompt = prepared.prompt();
      notes = prepared.notes();
      if (!prepared.sanitizations().isEmpty()) {
        List<String> all = new ArrayList<>(sanitizations);
        all.addAll(prepared.sanitizations());
        sanitizations = List.copyOf(all);
      }
    }
    int promptTokens = tokenizer.countTokens(modelPrompt);
    if (promptTokens > budget) {
      throw new Rejection(RejectReason.TOO_MANY_TOKENS, "prompt takes " + promptTokens + " tokens; pack "
          + pack.id() + " reads at most " + budget);
    }
    RewriteStrategy strategy = request.getRewriteMode() == RewriteMode.OFF || pack.promptRewrite().mode() == RewritePolicy.Mode.OFF
        ? RewriteStrategy.PASSTHROUGH : rewriter;
    LastCount counter = new LastCount(tokenizer);
    String rewritten = strategy.rewrite(new RewriteStrategy.Input(modelPrompt, language, glyphs,
        request.getTags().get("category"), pack.promptRewrite(), budget, counter));
    int rewrittenTokens = rewritten.equals(modelPrompt) ? promptTokens : counter.applyAsInt(rewritten);

    Size size = new Size(bucket.width(), bucket.height());
    List<GenerationJob> jobs = new ArrayList<>(numImages);
    for (int variant = 0; variant < numImages; variant++) {
      GenerationJob.Builder job = GenerationJob.newBuilder()
          .setRequest(request)
          .setVariant(variant)
          .setNumVariants(numImages)
          .setJobId(request.getRequestId() + "-" + variant)
          .setNormalizedPrompt(prompt.text())
          .setSanitizations(sanitizations)
          .setNormalizedNegativePrompt(negative)
          .setRewrittenPrompt(rewritten)
          .setRewriteStrategy(strategy.name())
          .setRewriteVersion(strategy.version())
          .setDetectedLanguage(language)
          .setGlyphTexts(glyphs)
          .setDroppedGlyphTexts(glyphTexts.dropped())
          .setPromptTokens(rewrittenTokens)
          .setRequestedSize(requested)
          .setSize(size)
          .setSteps(steps)
          .setGuidanceScale((float) guidance)
          .setSeed(seed(request, variant))
          .setPackId(pack.id())
          .setPackVersion(pack.version())
          .setAttempt(1)
          .setCreatedAt(now)
          .setPipelineNotes(notes)
          .setScheduler(exportRules == null ? null : exportRules.scheduler());
      jobs.add(job.build());
    }
    return jobs;
  }

  /** Variant i uses seed + i when the request gives a seed, else a hash of requestId and i. */
  public static long seed(PromptRequest request, int variant) {
    if (request.getSeed() != null) {
      return request.getSeed() + variant;
    }
    byte[] digest = Digests.sha256((request.getRequestId() + "/" + variant).getBytes(StandardCharsets.UTF_8));
    return ByteBuffer.wrap(digest).getLong() & Long.MAX_VALUE;
  }

  /** Counts tokens, remembering the last text so that the rewriter's final count is not repeated. */
  private static final class LastCount implements ToIntFunction<String> {
    private final PackTokenizer tokenizer;
    private String lastText;
    private int lastCount;

    LastCount(PackTokenizer tokenizer) {
      this.tokenizer = tokenizer;
    }

    @Override
    public int applyAsInt(String text) {
      if (!text.equals(lastText)) {
        lastCount = tokenizer.countTokens(text);
        lastText = text;
      }
      return lastCount;
    }
  }

  private void checkId(String id, String field, RejectReason reason) {
    if (id == null || id.isEmpty()) {
      throw new Rejection(reason, field + " is empty; expected 1.." + limits.maxIdChars() + " characters of [A-Za-z0-9._-]");
    }
    if (id.length() > limits.maxIdChars()) {
      throw new Rejection(reason, field + " has " + id.length() + " characters; expected at most " + limits.maxIdChars());
    }
    if (!isSafeId(id)) {
      throw new Rejection(reason, field + " " + quote(id) + " holds characters unsafe in an object key;"
          + " expected [A-Za-z0-9._-], not starting with '.' and without '..'");
    }
  }

  /** Letters, digits, '.', '_' and '-', not starting with '.', without "..": safe in an object key and a Kafka key. */
  static boolean isSafeId(String id) {
    if (id.isEmpty() || id.charAt(0) == '.') {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'
          || (c == '.' && id.charAt(i - 1) != '.');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private void checkTags(Map<String, String> tags) {
    if (tags.size() > limits.maxTags()) {
      throw new Rejection(RejectReason.TOO_MANY_TAGS, tags.size() + " tags; expected at most " + limits.maxTags());
    }
    for (Map.Entry<String, String> e : tags.entrySet()) {
      if (e.getKey().length() > limits.maxTagChars() || e.getValue().length() > limits.maxTagChars()) {
        throw new Rejection(RejectReason.TOO_MANY_TAGS, "tag " + quote(e.getKey()) + " is longer than "
            + limits.maxTagChars() + " characters (key or value)");
      }
    }
  }

  private PromptText.Cleaned cleanLimited(String raw, String field, int max) {
    return cleanLimited(raw, field, max, RejectReason.PROMPT_TOO_LONG);
  }

  private PromptText.Cleaned cleanLimited(String raw, String field, int max, RejectReason tooLong) {
    // Refuse absurd input before normalising it: NFKC can only grow text by a bounded factor.
    if (raw.length() > max * 4L) {
      throw new Rejection(tooLong, field + " has " + raw.length() + " characters; expected at most " + max);
    }
    PromptText.Cleaned cleaned = PromptText.clean(raw, field, limits.invisibleChars());
    if (cleaned.text().codePointCount(0, cleaned.text().length()) > max) {
      throw new Rejection(tooLong, field + " has "
          + cleaned.text().codePointCount(0, cleaned.text().length()) + " characters; expected at most " + max);
    }
    return cleaned;
  }

  /** The literal texts a request asks to draw: those that will be drawn, and those that will not. */
  public record Glyphs(List<String> drawn, List<String> dropped) {}

  /**
   * One rule for texts given in {@code renderText} and texts found in the prompt's quotation marks:
   * in order, a text is drawn when it is at most {@code maxRenderTextChars} long and fits the pack's
   * glyph budget together with the texts drawn before it; any other is dropped (never shortened,
   * which would draw a different text) and listed on the job and the result. A request is refused only
   * for a malformed list: more than {@code maxRenderTexts} entries, or an empty one.
   */
  private Glyphs glyphTexts(PromptRequest request, String prompt) {
    List<String> asked;
    if (request.getRenderText() != null) {
      List<String> given = request.getRenderText();
      if (given.size() > limits.maxRenderTexts()) {
        throw new Rejection(RejectReason.RENDER_TEXT_INVALID,
            given.size() + " render texts; expected at most " + limits.maxRenderTexts());
      }
      LinkedHashSet<String> out = new LinkedHashSet<>();
      for (String raw : given) {
        // Absurd lengths are refused before clean-up; merely long texts are dropped below, like quoted ones.
        String t = cleanLimited(raw, "renderText", limits.maxRenderTextChars() * 4, RejectReason.RENDER_TEXT_INVALID).text();
        if (t.isEmpty()) {
          throw new Rejection(RejectReason.RENDER_TEXT_INVALID, "a render text is empty; expected visible characters");
        }
        out.add(t);
      }
      asked = List.copyOf(out);
    } else {
      asked = GlyphTexts.extract(prompt, limits.maxRenderTexts());
    }
    List<String> drawn = new ArrayList<>(asked.size());
    List<String> dropped = new ArrayList<>();
    for (String t : asked) {
      int chars = t.codePointCount(0, t.length());
      drawn.add(t);
      boolean overGlyphBudget = !pack.isDiffusers() && GlyphTokenizer.length(drawn) > pack.glyphMaxLength();
      if (chars > limits.maxRenderTextChars() || overGlyphBudget) {
        drawn.remove(drawn.size() - 1);
        dropped.add(chars > limits.maxRenderTextChars()
            ? t.substring(0, t.offsetByCodePoints(0, limits.maxRenderTextChars())) + "…" : t);
      }
    }
    return new Glyphs(List.copyOf(drawn), List.copyOf(dropped));
  }

  private void checkBlocklist(String prompt, List<String> glyphs) {
    if (blocked.isEmpty()) {
      return;
    }
    String text = (prompt + " " + String.join(" ", glyphs)).toLowerCase(Locale.ROOT);
    for (Predicate<String> term : blocked) {
      if (term.test(text)) {
        throw new Rejection(RejectReason.BLOCKED_CONTENT, "prompt contains a blocked term");
      }
    }
  }

  /** Latin terms match whole words; terms in other scripts match anywhere. */
  static Predicate<String> matcher(String term) {
    if (!term.chars().allMatch(c -> c < 0x250)) {
      return text -> text.contains(term);
    }
    Pattern word = Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(term) + "(?![\\p{L}\\p{N}])");
    return text -> word.matcher(text).find();
  }

  private Size requestedSize(PromptRequest r) {
    Integer w = r.getWidth();
    Integer h = r.getHeight();
    Double aspect = r.getAspect() == null ? null : parseAspect(r.getAspect());
    if (w == null && h == null && aspect == null) {
      return null;
    }
    if (w == null || h == null) {
      if (aspect == null) {
        throw new Rejection(RejectReason.SIZE_OUT_OF_RANGE,
            "only one of width and height is given; expected both, or an aspect ratio");
      }
      if (w != null) {
        h = (int) Math.round(w / aspect);
      } else if (h != null) {
        w = (int) Math.round(h * aspect);
      } else {
        // Keep the pack's base area at the requested aspect ratio.
        double area = (double) pack.baseResolution() * pack.baseResolution();
        w = (int) Math.round(Math.sqrt(area * aspect));
        h = (int) Math.round(Math.sqrt(area / aspect));
      }
    }
    if (w < minSide || h < minSide || w > limits.maxSide() || h > limits.maxSide()) {
      throw new Rejection(RejectReason.SIZE_OUT_OF_RANGE, "size " + w + "x" + h + " is outside "
          + minSide + ".." + limits.maxSide() + " pixels per side");
    }
    double a = (double) w / h;
    if (a < minAspect || a > maxAspect) {
      throw new Rejection(RejectReason.ASPECT_OUT_OF_RANGE, String.format(Locale.ROOT,
          "aspect ratio %.3f (%dx%d) is outside %.3f..%.3f for pack %s", a, w, h, minAspect, maxAspect, pack.id()));
    }
    return new Size(w, h);
  }

  private static double parseAspect(String text) {
    Matcher m = ASPECT.matcher(text);
    if (!m.matches()) {
      throw new Rejection(RejectReason.ASPECT_OUT_OF_RANGE, "aspect " + quote(text) + " is malformed; expected 'W:H', e.g. '3:2'");
    }
    double w = Double.parseDouble(m.group(1));
    double h = Double.parseDouble(m.group(2));
    if (w <= 0 || h <= 0) {
      throw new Rejection(RejectReason.ASPECT_OUT_OF_RANGE, "aspect " + quote(text) + " has a zero side; expected positive numbers");
    }
    return w / h;
  }

  private static String quote(String s) {
    if (s == null) {
      return "null";
    }
    return "'" + (s.length() > 80 ? s.substring(0, 80) + "…" : s) + "'";
  }
}
