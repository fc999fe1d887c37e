package io.inkflow.streams.rewrite;

import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.text.PackTokenizer;
import java.nio.file.Path;

/**
 * The PE stage's planner bound to a deployed pack folder (its manifest and tokenizer, no sessions),
 * built one way for the PE app and for {@code scripts/submit --pack}'s checks. Owns the tokenizer.
 */
public final class PackPlanner implements AutoCloseable {
  private final PackManifest pack;
  private final PackTokenizer tokenizer;
  private final RequestPlanner planner;

  private PackPlanner(PackManifest pack, PackTokenizer tokenizer, RequestPlanner planner) {
    this.pack = pack;
    this.tokenizer = tokenizer;
    this.planner = planner;
  }

  /** Reads the pack's manifest and opens its tokenizer. */
  public static PackPlanner open(Path packDir, PeLimits limits) {
    PackManifest pack = PackManifest.read(packDir);
    PackTokenizer tokenizer = PackTokenizer.open(pack.tokenizer(), pack.dir());
    try {
      return new PackPlanner(pack, tokenizer, new RequestPlanner(pack, tokenizer, limits, new RuleBasedRewriter()));
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  public PackManifest pack() {
    return pack;
  }

  public RequestPlanner planner() {
    return planner;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
