package io.inkflow.inference.runtime;

import java.util.List;

/**
 * What a model stage needs from its graph: input and output names, kinds and ranks. Checked
 * against the manifest before a session is created, while the manifest is checked against the
 * graph itself after.
 *
 * @param role the graph's role, e.g. {@code transformer}
 * @param inputs required inputs
 * @param outputs required outputs
 */
public record GraphContract(String role, List<Port> inputs, List<Port> outputs) {

  public GraphContract {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** Element kinds: float at the pack's precision, or 64-bit integers. */
  public enum Kind {
    FLOAT,
    INT64
  }

  /**
   * One required input or output.
   *
   * @param name ONNX value name
   * @param kind element kind
   * @param rank number of dimensions
   */
  public record Port(String name, Kind kind, int rank) {
    public static Port floats(String name, int rank) {
      return new Port(name, Kind.FLOAT, rank);
    }

    public static Port longs(String name, int rank) {
      return new Port(name, Kind.INT64, rank);
    }
  }
}
