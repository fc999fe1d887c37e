"""Reference maths of the mmdit-flow pipeline, mirrored by the Java classes named below.

* ``image_positions``  -> io.inkflow.inference.diffusion.ImagePositions (scaled 2D RoPE ids)
* ``flow_sigmas``      -> io.inkflow.inference.diffusion.FlowMatchEulerScheduler
* ``generate``         -> io.inkflow.inference.diffusion.TextToImagePipeline (one bucket, a batch)

Used to write the end-to-end golden case, and by training scripts that must sample the way the
Java worker does.
"""

import numpy as np
import torch

from . import rng
from . import tokenizer as tok


def image_positions(height, width, vae_scale, patch, base_resolution):
    """[T, 2] float32 (row, col) position ids for the patches of a height x width image.

    Ids are centred on the centre of the base grid (``base_resolution`` px): patch (i, j) of an
    R x C grid gets ``base/2 + (i + 0.5 - R/2) * s`` and ``base/2 + (j + 0.5 - C/2) * s``, where
    ``s = min(1, base / max(R, C))``. Up to the base resolution s = 1, so the central patches keep
    their ids across every bucket; above it, ids are scaled towards the centre so that they stay
    within the range the model was trained on.
    """
    unit = vae_scale * patch
    rows, cols = height // unit, width // unit
    base = base_resolution // unit
    scale = min(1.0, base / max(rows, cols))
    centre = base / 2.0
    out = np.empty((rows * cols, 2), dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            out[i * cols + j, 0] = centre + (i + 0.5 - rows / 2.0) * scale
            out[i * cols + j, 1] = centre + (j + 0.5 - cols / 2.0) * scale
    return out


def flow_sigmas(steps, shift):
    """steps + 1 noise levels from 1 to 0, shifted: s' = shift * s / (1 + (shift - 1) * s)."""
    out = []
    for i in range(steps + 1):
        s = 1.0 - i / steps
        out.append(shift * s / (1.0 + (shift - 1.0) * s))
    return out


def to_pixels(image):
    """[3, H, W] float in about [-1, 1] -> [H, W, 3] uint8, as the Java VaeDecoder does."""
    u = np.clip(image.astype(np.float32) * np.float32(0.5) + np.float32(0.5), 0.0, 1.0)
    return np.floor(u * np.float32(255.0) + np.float32(0.5)).astype(np.uint8).transpose(1, 2, 0)


@torch.no_grad()
def generate(models, vocab, spec, prompt, negative_prompt, glyph_texts, width, height, steps,
             guidance, seed):
    """One image, with cond and uncond rows in one transformer call per step."""
    text_encoder, glyph_encoder, transformer, vae = models
    t_len, g_len = spec["text_max_length"], spec["glyph_max_length"]
    cond_ids, cond_mask = tok.pad(tok.encode(prompt, vocab), t_len)
    unc_ids, unc_mask = tok.pad(tok.encode(negative_prompt or "", vocab), t_len)
    g_ids, g_mask = tok.glyph_encode(glyph_texts, g_len)
    e_ids, e_mask = tok.glyph_encode([], g_len)
    ids = torch.tensor([cond_ids, unc_ids], dtype=torch.int64)
    mask = torch.tensor([cond_mask, unc_mask], dtype=torch.int64)
    gids = torch.tensor([g_ids, e_ids], dtype=torch.int64)
    gmask = torch.tensor([g_mask, e_mask], dtype=torch.int64)
    context = torch.cat([text_encoder(ids, mask), glyph_encoder(gids, gmask)], dim=1)
    context_mask = torch.cat([mask, gmask], dim=1).float()

    unit = spec["vae_scale"]
    c, h, w = spec["latent_channels"], height // unit, width // unit
    noise = rng.latent_noise(seed, c, h, w)
    x = torch.from_numpy(noise.copy())[None]
    positions = torch.from_numpy(image_positions(height, width, unit, spec["patch"], spec["base_resolution"]))
    sigmas = flow_sigmas(steps, spec["shift"])
    g = np.float32(guidance)
    for i in range(steps):
        t = torch.full((2,), np.float32(sigmas[i] * 1000.0), dtype=torch.float32)
        v = transformer(torch.cat([x, x]), t, context, context_mask, positions)
        vc, vu = v[:1], v[1:]
        guided = vu + g * (vc - vu) if guidance > 1.0 else vc
        x = x + np.float32(sigmas[i + 1] - sigmas[i]) * guided
    latents = x / np.float32(spec["scaling_factor"]) + np.float32(spec["shift_factor"])
    image = vae(latents)[0].numpy()
    return {
        "input_ids": ids, "attention_mask": mask, "glyph_ids": gids, "glyph_mask": gmask,
        "noise": noise, "latents": x[0].numpy(), "pixels": to_pixels(image),
    }
