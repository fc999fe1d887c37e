package io.inkflow.infra.submit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code scripts/submit --dry-run --pack DIR}: every row checked by the PE stage's own planner, reported per line. */
class SubmitDryRunTest {
  static final Path PACK = Path.of("..", "infra", "models", "tiny-mmdit-flow").toAbsolutePath().normalize();

  @Test
  void reportsEachRowThePeStageWouldRefuseWithItsLineAndReason(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("cat.csv");
    Files.writeString(csv, """
        sku,prompt,width,height,steps,render_text
        OK-1,a red mug,512,512,,
        BIG-2,a red mug,100000,100000,,
        STEPS-3,a red mug,,,999,
        TOKENS-4,%s,,,,
        GLYPH-5,a poster,,,,春|%s
        """.formatted("cat ".repeat(400).strip(), "长".repeat(30)), StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = SubmitCli.run(new String[] {"--csv", csv.toString(), "--dry-run", "--pack", PACK.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    String errors = err.toString(StandardCharsets.UTF_8);
    assertThat(status).isZero();
    assertThat(errors.lines()).containsExactly(
        "cat.csv line 3: SIZE_OUT_OF_RANGE: size 100000x100000 is outside 64..2048 pixels per side",
        "cat.csv line 4: STEPS_OUT_OF_RANGE: steps is 999; expected 1..50 for pack tiny-mmdit-flow",
        "cat.csv line 5: TOO_MANY_TOKENS: prompt takes 401 tokens; pack tiny-mmdit-flow reads at most 64",
        "cat.csv line 6: GLYPH_TEXT_DROPPED: will not draw [" + "长".repeat(30) + "]: longer than a render text may be, or over pack tiny-mmdit-flow's glyph budget");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("pack tiny-mmdit-flow@0.1.0: 2 row(s) would be accepted, 3 refused");

    // --strict turns refusals into a failure, and nothing would be submitted.
    int strict = SubmitCli.run(new String[] {"--csv", csv.toString(), "--dry-run", "--strict", "--pack", PACK.toString()},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
    assertThat(strict).isEqualTo(1);
  }
}
