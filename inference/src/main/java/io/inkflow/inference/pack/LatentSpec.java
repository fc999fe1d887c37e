package io.inkflow.inference.pack;

/**
 * The latent space the transformer works in.
 *
 * @param channels latent channels
 * @param vaeScaleFactor pixels per latent cell on each side
 * @param patchSize latent cells per transformer patch on each side
 * @param scalingFactor latents are divided by this before decoding (diffusers convention)
 * @param shiftFactor and then shifted by this
 */
public record LatentSpec(int channels, int vaeScaleFactor, int patchSize, float scalingFactor,
    float shiftFactor) {

  /** Pixels per transformer patch on each side. */
  public int pixelsPerPatch() {
    return vaeScaleFactor * patchSize;
  }
}
