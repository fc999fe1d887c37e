package io.inkflow.streams.batches;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.inkflow.avro.RankedVariant;
import io.inkflow.avro.RequestResult;
import io.inkflow.avro.Size;
import java.util.Map;

/** One manifest row per request, as a line of JSON: what a catalogue owner needs to find their images. */
final class ManifestRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ManifestRows() {}

  /**
   * The row: requestId, batchId, status, reason, numVariants, tags, the best image and every
   * variant in rank order (URI, score, verdict, requested and delivered size), completedAt (ISO-8601).
   */
  static String row(RequestResult r) {
    ObjectNode row = JSON.createObjectNode();
    row.put("requestId", r.getRequestId());
    row.put("batchId", r.getBatchId());
    row.put("status", r.getStatus().name());
    row.put("reasonCode", r.getReasonCode());
    row.put("reasonMessage", r.getReasonMessage());
    row.put("numVariants", r.getNumVariants());
    ObjectNode tags = row.putObject("tags");
    r.getTags().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> tags.put(e.getKey(), e.getValue()));
    if (!r.getDroppedGlyphTexts().isEmpty()) {
      ArrayNode dropped = row.putArray("droppedGlyphTexts");
      r.getDroppedGlyphTexts().forEach(dropped::add);
    }
    RankedVariant best = r.getBestVariant();
    row.put("bestImageUri", best == null ? null : best.getImageUri());
    if (best == null) {
      row.putNull("bestScore");
    } else {
      row.put("bestScore", best.getScore());
    }
    ArrayNode variants = row.putArray("variants");
    for (RankedVariant v : r.getVariants()) {
      ObjectNode n = variants.addObject();
      n.put("jobId", v.getJobId());
      n.put("variant", v.getVariant());
      n.put("seed", v.getSeed());
      n.put("imageUri", v.getImageUri());
      if (v.getScore() == null) {
        n.putNull("score");
      } else {
        n.put("score", v.getScore());
      }
      n.put("verdict", v.getVerdict().name());
      n.put("requestedSize", size(v.getRequestedSize()));
      n.put("deliveredSize", size(v.getDeliveredSize()));
    }
    row.put("completedAt", r.getCompletedAt().toString());
    return row.toString();
  }

  private static String size(Size s) {
    return s == null ? null : s.getWidth() + "x" + s.getHeight();
  }
}
