package io.inkflow.infra.submit;

import java.io.PrintStream;

/**
 * Shows a progress bar: redrawn in place on a terminal, and printed as a new line only when the
 * number of finished requests changes otherwise (a log file should not get four lines a second).
 */
public final class ProgressLine {
  private final PrintStream out;
  private final boolean terminal;
  private int lastDone = -1;
  private long lastDraw;

  public ProgressLine(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  public void update(BatchWatch progress, long nowNanos) {
    if (terminal) {
      if (nowNanos - lastDraw > 200_000_000L) {
        out.print("\r" + progress.bar(nowNanos, 30));
        out.flush();
        lastDraw = nowNanos;
      }
    } else if (progress.done() != lastDone) {
      out.println(progress.bar(nowNanos, 30));
      lastDone = progress.done();
    }
  }

  /** The final state, on a line of its own. */
  public void finish(BatchWatch progress, long nowNanos) {
    if (terminal) {
      out.println("\r" + progress.bar(nowNanos, 30));
    } else if (progress.done() != lastDone) {
      out.println(progress.bar(nowNanos, 30));
    }
  }
}
