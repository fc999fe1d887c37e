package io.inkflow.streams.rewrite;

import io.inkflow.inference.pack.PackManifest;
import io.inkflow.inference.text.PackTokenizer;
import java.nio.file.Path;

/** The committed tiny pack, as the PE stream reads it: manifest and tokenizer, no sessions. */
final class TestPack {
  static final Path DIR = Path.of("..", "infra", "models", "tiny-mmdit-flow").toAbsolutePath().normalize();
  static final PackManifest MANIFEST = PackManifest.read(DIR);
  static final PackTokenizer TOKENIZER = PackTokenizer.open(MANIFEST.tokenizer(), MANIFEST.dir());

  private TestPack() {}

  static RequestPlanner planner(PeLimits limits) {
    return new RequestPlanner(MANIFEST, TOKENIZER, limits, new RuleBasedRewriter());
  }
}
