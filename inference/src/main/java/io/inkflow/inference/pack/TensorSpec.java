package io.inkflow.inference.pack;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A graph input or output as a manifest declares it.
 *
 * @param name the ONNX value name
 * @param type element type
 * @param shape declared dimensions; its size is the rank
 */
public record TensorSpec(String name, TensorType type, List<Dimension> shape) {

  public TensorSpec {
    shape = List.copyOf(shape);
  }

  public int rank() {
    return shape.size();
  }

  /** e.g. {@code latents float32 [batch, 4, latent_height, latent_width]}. */
  @Override
  public String toString() {
    return name + " " + type + " " + shape.stream().map(Dimension::toString)
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
