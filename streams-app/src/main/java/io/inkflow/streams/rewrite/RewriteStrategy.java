package io.inkflow.streams.rewrite;

import io.inkflow.avro.Language;
import io.inkflow.inference.pack.RewritePolicy;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Turns a user's prompt into the prompt the model is given (the PE stage of Seedream 2.0). A strategy
 * never changes the subject or the literal text to draw, and stays within the token budget. A
 * model-based rewriter plugs in here.
 */
public interface RewriteStrategy {

  /** What a strategy sees of a request. */
  record Input(String prompt, Language language, List<String> glyphTexts, String category,
      RewritePolicy policy, int tokenBudget, ToIntFunction<String> tokenCounter) {}

  /** Recorded on every job as rewriteStrategy. */
  String name();

  /** Recorded on every job as rewriteVersion. */
  String version();

  /** The rewritten prompt; {@code input.prompt()} itself when nothing applies. */
  String rewrite(Input input);

  /** The strategy used when a request says rewriteMode OFF or the pack's policy is off. */
  RewriteStrategy PASSTHROUGH = new RewriteStrategy() {
    @Override
    public String name() {
      return "passthrough";
    }

    @Override
    public String version() {
      return "1";
    }

    @Override
    public String rewrite(Input input) {
      return input.prompt();
    }
  };
}
