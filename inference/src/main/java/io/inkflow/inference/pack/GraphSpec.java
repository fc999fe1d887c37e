package io.inkflow.inference.pack;

import java.util.List;
import java.util.Optional;

/**
 * One ONNX graph of a pack.
 *
 * @param key the graph's role in the manifest, e.g. {@code transformer}
 * @param file file name relative to the pack folder
 * @param sha256 expected SHA-256 of the file in lowercase hex, or {@code null} when not declared
 * @param inputs declared inputs
 * @param outputs declared outputs
 */
public record GraphSpec(String key, String file, String sha256, List<TensorSpec> inputs,
    List<TensorSpec> outputs) {

  public GraphSpec {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  public Optional<TensorSpec> input(String name) {
    return inputs.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  public Optional<TensorSpec> output(String name) {
    return outputs.stream().filter(t -> t.name().equals(name)).findFirst();
  }
}
