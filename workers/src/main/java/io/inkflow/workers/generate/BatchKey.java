package io.inkflow.workers.generate;

/** What jobs must share to ride in one inference call: the pack, the resolution bucket and the step count. */
public record BatchKey(String packId, String packVersion, int width, int height, int steps) {
  @Override
  public String toString() {
    return packId + "@" + packVersion + "/" + width + "x" + height + "/" + steps + "steps";
  }
}
