package io.inkflow.streams.rewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.inkflow.avro.Language;
import io.inkflow.inference.pack.RewritePolicy;
import java.util.List;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

class RuleBasedRewriterTest {

  @Test
  void attributesAreWrittenInLowerCase() {
    // rewrite() compares them with the lowered prompt as they are.
    for (RuleBasedRewriter.Attributes a : RuleBasedRewriter.ATTRIBUTES.values()) {
      for (String attribute : a.en()) {
        assertThat(attribute).isEqualTo(attribute.toLowerCase(java.util.Locale.ROOT));
      }
      for (String attribute : a.zh()) {
        assertThat(attribute).isEqualTo(attribute.toLowerCase(java.util.Locale.ROOT));
      }
    }
  }

  final RuleBasedRewriter rewriter = new RuleBasedRewriter();
  final ToIntFunction<String> tokens = TestPack.TOKENIZER::countTokens;
  final RewritePolicy on = new RewritePolicy(RewritePolicy.Mode.ON, List.of());

  private String rewrite(String prompt, Language language, RewritePolicy policy, int budget) {
    return rewriter.rewrite(new RewriteStrategy.Input(prompt, language, List.of(), null, policy, budget, tokens));
  }

  /** The reference: attributes appended one by one while the whole fits. */
  private String oneByOne(String prompt, List<String> attributes, String separator, int budget) {
    String out = prompt;
    for (String a : attributes) {
      String next = out + separator + a;
      if (tokens.applyAsInt(next) > budget) {
        break;
      }
      out = next;
    }
    return out;
  }

  @Test
  void withRoomForEverythingAllAttributesAreAppendedInTheirOrder() {
    String prompt = "a white ceramic mug, product photo";
    String out = rewrite(prompt, Language.EN, on, 256);
    assertThat(out).isEqualTo(oneByOne(prompt, List.of("professional product photography", "soft studio lighting",
        "clean composition", "sharp focus", "fine material texture"), ", ", 256));
  }

  @Test
  void everyBudgetGivesTheOneByOneResultAndStaysWithinIt() {
    String prompt = "一只白色陶瓷杯，产品";
    List<String> zh = List.of("专业产品摄影", "柔和的影棚光", "构图简洁", "对焦清晰", "材质细腻");
    int min = tokens.applyAsInt(prompt);
    int max = tokens.applyAsInt(prompt + "，" + String.join("，", zh));
    assertThat(max).isGreaterThan(min);
    for (int budget = min; budget <= max + 1; budget++) {
      String out = rewrite(prompt, Language.ZH, on, budget);
      assertThat(out).as("budget %d", budget).isEqualTo(oneByOne(prompt, zh, "，", budget)).startsWith(prompt);
      assertThat(tokens.applyAsInt(out)).isLessThanOrEqualTo(budget);
    }
  }

  @Test
  void aVocabularyPolicyKeepsOnlyAttributesMadeOfItsWords() {
    RewritePolicy vocabulary = new RewritePolicy(RewritePolicy.Mode.VOCABULARY, List.of("high", "quality", "soft", "lighting"));
    String prompt = "a red circle";
    assertThat(rewrite(prompt, Language.EN, vocabulary, 256)).isEqualTo("a red circle, high quality, soft lighting");
    // The cached vocabulary belongs to its policy: another policy is read afresh.
    RewritePolicy other = new RewritePolicy(RewritePolicy.Mode.VOCABULARY, List.of("fine", "detail"));
    assertThat(rewrite(prompt, Language.EN, other, 256)).isEqualTo("a red circle, fine detail");
  }

  @Test
  void attributesThePromptAlreadyHasAreNotRepeated() {
    assertThat(rewrite("a vase, high quality", Language.EN, on, 256))
        .isEqualTo("a vase, high quality, fine detail, harmonious colours, good composition, soft lighting");
  }
}
