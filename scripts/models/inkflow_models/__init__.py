"""Model-pack generators for inkflow: tiny ONNX packs for tests, the demo and training scripts.

Modules:
    tokenizer  bilingual word/character tokenizer (writes a Hugging Face tokenizer.json) and its
               Python mirror
    rng        the latent-noise generator that the Java pipeline uses (SplitMix64 + Box-Muller)
    mmdit      the mmdit-flow family: text encoder, glyph encoder, MMDiT transformer, VAE decoder
    sampler    reference flow-matching Euler sampler, scaled 2D RoPE positions, CFG
    reward     the reward family: aesthetic, alignment and text-rendering (OCR) heads
    clip_reward  tiny CLIP exports (one graph or text/vision) and an aesthetic MLP for CLIP-family reward
               packs, with PickScore's, HPS v2's and the LAION predictor's reference scoring
    packio     ONNX export, fp16 wrapping, golden tensors and pack.json writing
"""
