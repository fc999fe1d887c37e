package io.inkflow.streams.rewrite;

import io.inkflow.avro.Language;
import io.inkflow.inference.pack.RewritePolicy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A bilingual rule-based rewriter: recognises the prompt's category (product photo, poster with text,
 * food, fashion, general) and appends aesthetic attributes in the VMix style (lighting, colour,
 * texture, composition) in the prompt's own language. The user's prompt stays a verbatim prefix of the
 * result, so the subject and any literal text are untouched; attributes are added one by one while
 * the whole still fits the token budget, and under a vocabulary policy only attributes made of
 * vocabulary words are used.
 */
public final class RuleBasedRewriter implements RewriteStrategy {
  /** Categories the templates know. */
  enum Category { PRODUCT, POSTER, FOOD, FASHION, GENERAL }

  record Attributes(List<String> en, List<String> zh) {}

  static final Map<Category, Attributes> ATTRIBUTES = Map.of(
      Category.PRODUCT, new Attributes(
          List.of("professional product photography", "soft studio lighting", "clean composition", "sharp focus", "fine material texture"),
          List.of("专业产品摄影", "柔和的影棚光", "构图简洁", "对焦清晰", "材质细腻")),
      Category.POSTER, new Attributes(
          List.of("clear legible lettering", "balanced layout", "bold colour contrast", "graphic design"),
          List.of("文字清晰可读", "版式平衡", "色彩对比鲜明", "平面设计感")),
      Category.FOOD, new Attributes(
          List.of("appetizing food photography", "warm natural light", "shallow depth of field", "rich colours"),
          List.of("诱人的美食摄影", "温暖的自然光", "浅景深", "色彩饱满")),
      Category.FASHION, new Attributes(
          List.of("editorial fashion photography", "flattering soft light", "rich fabric texture", "elegant composition"),
          List.of("时尚大片风格", "柔和光线", "面料质感丰富", "构图优雅")),
      Category.GENERAL, new Attributes(
          List.of("high quality", "fine detail", "harmonious colours", "good composition", "soft lighting"),
          List.of("高质量", "细节丰富", "色彩和谐", "构图精美", "光线柔和")));

  private static final Map<Category, List<String>> KEYWORDS = Map.of(
      Category.POSTER, List.of("poster", "banner", "sign", "logo", "lettering", "海报", "标语", "招牌", "横幅", "写出", "字样"),
      Category.FOOD, List.of("food", "dish", "cake", "dessert", "tea set", "coffee", "meal", "美食", "菜", "蛋糕", "甜点", "咖啡", "茶点"),
      Category.FASHION, List.of("dress", "shirt", "shoe", "sneaker", "jacket", "fashion", "model wearing", "服装", "连衣裙", "衬衫", "鞋", "外套", "时装"),
      Category.PRODUCT, List.of("product", "white background", "studio", "packshot", "bottle", "cup", "产品", "白色背景", "白底", "杯", "瓶"));

  @Override
  public String name() {
    return "rules-bilingual";
  }

  @Override
  public String version() {
    return "1";
  }

  @Override
  public String rewrite(Input input) {
    if (input.policy().mode() == RewritePolicy.Mode.OFF) {
      return input.prompt();
    }
    Category category = category(input.category(), input.prompt(), input.glyphTexts());
    boolean zh = input.language() == Language.ZH || input.language() == Language.MIXED;
    List<String> candidates = zh ? ATTRIBUTES.get(category).zh() : ATTRIBUTES.get(category).en();
    String separator = zh ? "，" : ", ";
    Set<String> vocabulary = input.policy().mode() == RewritePolicy.Mode.VOCABULARY ? vocabulary(input.policy()) : null;
    String lowerPrompt = input.prompt().toLowerCase(Locale.ROOT);
    List<String> usable = new ArrayList<>(candidates.size());
    for (String attribute : candidates) {
      // The attributes are lower case already (checked by the tests), so the prompt alone is lowered.
      if (!lowerPrompt.contains(attribute) && (vocabulary == null || inVocabulary(attribute, vocabulary))) {
        usable.add(attribute);
      }
    }
    if (usable.isEmpty()) {
      return input.prompt();
    }
    // The common case takes one count: every attribute fits. (Text appended after a separator does
    // not lower the count of what precedes it, so this is what the loop below would build too.)
    String all = input.prompt() + separator + String.join(separator, usable);
    if (input.tokenCounter().applyAsInt(all) <= input.tokenBudget()) {
      return all;
    }
    StringBuilder out = new StringBuilder(input.prompt());
    for (String attribute : usable) {
      String next = out + separator + attribute;
      if (input.tokenCounter().applyAsInt(next) > input.tokenBudget()) {
        break;
      }
      out.setLength(0);
      out.append(next);
    }
    return out.toString();
  }

  static Category category(String tagged, String prompt, List<String> glyphTexts) {
    if (tagged != null) {
      String t = tagged.strip().toLowerCase(Locale.ROOT);
      for (Category c : Category.values()) {
        if (t.equals(c.name().toLowerCase(Locale.ROOT))) {
          return c;
        }
      }
      if (t.equals("footwear") || t.equals("apparel") || t.equals("clothing")) {
        return Category.FASHION;
      }
      if (t.equals("tableware") || t.equals("electronics") || t.equals("home")) {
        return Category.PRODUCT;
      }
    }
    if (!glyphTexts.isEmpty()) {
      return Category.POSTER;
    }
    String lower = prompt.toLowerCase(Locale.ROOT);
    for (Category c : List.of(Category.POSTER, Category.FOOD, Category.FASHION, Category.PRODUCT)) {
      for (String k : KEYWORDS.get(c)) {
        if (lower.contains(k)) {
          return c;
        }
      }
    }
    return Category.GENERAL;
  }

  /** The last policy's lower-cased vocabulary: a deployment has one pack, so this is built once. */
  private volatile Map.Entry<RewritePolicy, Set<String>> vocabularyCache;

  private Set<String> vocabulary(RewritePolicy policy) {
    Map.Entry<RewritePolicy, Set<String>> cached = vocabularyCache;
    if (cached != null && cached.getKey() == policy) {
      return cached.getValue();
    }
    Set<String> words = new HashSet<>();
    policy.vocabulary().forEach(w -> words.add(w.toLowerCase(Locale.ROOT)));
    Set<String> frozen = Set.copyOf(words);
    vocabularyCache = Map.entry(policy, frozen);
    return frozen;
  }

  /** Latin attributes need every word in the vocabulary; Chinese ones must be a vocabulary entry. */
  private static boolean inVocabulary(String attribute, Set<String> vocabulary) {
    if (vocabulary.contains(attribute.toLowerCase(Locale.ROOT))) {
      return true;
    }
    List<String> words = new ArrayList<>(List.of(attribute.toLowerCase(Locale.ROOT).split("\\s+")));
    return words.stream().allMatch(vocabulary::contains) && attribute.chars().allMatch(c -> c < 0x3000);
  }
}
