package io.inkflow.catalogue;

import io.inkflow.avro.GenerationJob;
import io.inkflow.avro.PromptRequest;
import io.inkflow.streams.rewrite.PackPlanner;
import io.inkflow.streams.rewrite.RejectReason;
import io.inkflow.streams.rewrite.Rejection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A read catalogue judged line by line the way the pipeline will judge it: the reader's own problems
 * ({@link Catalogue.Codes}) plus, with a pack, the PE stage's planner's refusals ({@link RejectReason}) and the
 * texts it would not draw. {@code scripts/submit} (and its dry run) and the HTTP API both report through
 * this one check, so a file gets the same codes on the same lines wherever it is sent.
 */
public final class CatalogueCheck {
  /** Code of a note (not a refusal): a render text the pack will not draw. */
  public static final String GLYPH_TEXT_DROPPED = "GLYPH_TEXT_DROPPED";

  /**
   * One finding on one line.
   *
   * @param refused true when the row is skipped by the reader or will be refused by the PE stage; false for a note
   */
  public record Finding(long line, String code, String message, boolean refused) {
    @Override
    public String toString() {
      return "line " + line + ": " + code + ": " + message;
    }
  }

  /**
   * What the check found.
   *
   * @param read the file as read
   * @param findings every finding, by line
   * @param planned whether a pack planned the rows (false: only the reader's checks ran)
   * @param plannedRefused rows the PE stage would refuse (a subset of the read entries)
   */
  public record Report(Catalogue.Result read, List<Finding> findings, boolean planned, int plannedRefused) {
    /** Refusals of any kind: rows the reader skipped plus rows the PE stage would refuse. */
    public long refusals() {
      return findings.stream().filter(Finding::refused).count();
    }

    /** Rows the PE stage would accept (every read row when nothing was planned). */
    public int plannedAccepted() {
      return read.entries().size() - plannedRefused;
    }
  }

  private CatalogueCheck() {}

  /**
   * Checks {@code read}; with a {@code planner}, also plans every read row with the PE stage's own planner
   * at {@code now}. A planner is not thread-safe: callers that share one hold its lock around this call.
   */
  public static Report check(Catalogue.Result read, PackPlanner planner, Instant now) {
    List<Finding> findings = new ArrayList<>();
    for (Catalogue.Problem p : read.problems()) {
      findings.add(new Finding(p.line(), p.code(), p.message(), true));
    }
    int refused = 0;
    if (planner != null) {
      for (Catalogue.Entry entry : read.entries()) {
        PromptRequest request = entry.request();
        try {
          List<GenerationJob> jobs = planner.planner().plan(request.getRequestId(), request, now);
          List<String> dropped = jobs.get(0).getDroppedGlyphTexts();
          if (!dropped.isEmpty()) {
            findings.add(new Finding(entry.line(), GLYPH_TEXT_DROPPED, "will not draw " + dropped
                + ": longer than a render text may be, or over pack " + planner.pack().id() + "'s glyph budget", false));
          }
        } catch (Rejection r) {
          refused++;
          findings.add(new Finding(entry.line(), r.reason().name(), r.getMessage(), true));
        } catch (RuntimeException e) {
          refused++;
          findings.add(new Finding(entry.line(), RejectReason.PROCESSING_FAILED.name(), e.toString(), true));
        }
      }
    }
    findings.sort(Comparator.comparingLong(Finding::line));
    return new Report(read, List.copyOf(findings), planner != null, refused);
  }
}
