"""The ``mmdit-flow`` family (Seedream 2.0 style), small enough to run on a CPU.

Four graphs, each exported on its own so the Java pipeline can batch and time them separately:

* ``TextEncoder``  LLM-style decoder (causal self-attention) over token ids -> states [N, Lt, D]
* ``GlyphEncoder`` ByT5-style byte encoder (bidirectional) over UTF-8 bytes + 3, projected to D
* ``MMDiT``        joint-attention transformer over text + image tokens: adaLN on the timestep (+
                   pooled text), QK-norm (RMSNorm), scaled 2D RoPE on image tokens whose position
                   ids come from the caller; predicts the flow-matching velocity
* ``VaeDecoder``   latents [N, C, h, w] -> RGB [N, 3, h*8, w*8] in about [-1, 1]

Export notes (torch 1.13, opset 17): only affine LayerNorm, attention written out by hand (no
scaled_dot_product_attention), RMSNorm written out by hand. Masks are additive -1e4 biases, finite
so that a fully masked row (no glyph text) stays finite; exp(-1e4) is exactly 0 in float32, so
padding never leaks into unmasked tokens.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F

NEG = -1.0e4


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def attention(q, k, v, bias, head_dim):
    """q, k, v: [N, H, L, d]; bias broadcastable to [N, H, Lq, Lk]."""
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(head_dim)) + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def split_heads(x, heads):
    n, length, dim = x.shape
    return x.reshape(n, length, heads, dim // heads).transpose(1, 2)


def merge_heads(x):
    n, heads, length, head_dim = x.shape
    return x.transpose(1, 2).reshape(n, length, heads * head_dim)


class EncoderBlock(nn.Module):
    """Pre-LN transformer block with an optional causal mask."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, bias):
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        q, k, v = (split_heads(t, self.heads) for t in (q, k, v))
        x = x + self.out(merge_heads(attention(q, k, v, bias, self.head_dim)))
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    """Decoder-only (causal) encoder: input_ids, attention_mask [N, L] int64 -> hidden_states [N, L, D]."""

    def __init__(self, vocab_size, dim=64, layers=2, heads=4, max_length=64):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.position = nn.Parameter(torch.randn(max_length, dim) * 0.02)
        self.blocks = nn.ModuleList(EncoderBlock(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.register_buffer("causal", torch.triu(torch.full((max_length, max_length), NEG), diagonal=1))

    def forward(self, input_ids, attention_mask):
        x = self.embed(input_ids) + self.position
        bias = self.causal + (1.0 - attention_mask.float())[:, None, None, :] * NEG
        for block in self.blocks:
            x = block(x, bias)
        return self.norm(x)


class GlyphEncoder(nn.Module):
    """ByT5-style encoder: glyph_ids, glyph_mask [N, Lg] int64 -> glyph_states [N, Lg, D_text]."""

    def __init__(self, vocab_size=259, dim=48, out_dim=64, layers=2, heads=4, max_length=48):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, dim)
        self.position = nn.Parameter(torch.randn(max_length, dim) * 0.02)
        self.blocks = nn.ModuleList(EncoderBlock(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(dim, out_dim)

    def forward(self, glyph_ids, glyph_mask):
        x = self.embed(glyph_ids) + self.position
        bias = (1.0 - glyph_mask.float())[:, None, None, :] * NEG
        for block in self.blocks:
            x = block(x, bias)
        return self.proj(self.norm(x))


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None].float() * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rope_angles(positions, head_dim, theta):
    """positions [T, 2] (row, col) -> angles [T, head_dim/2]: half the pairs rotate by row, half by col."""
    quarter = head_dim // 4
    inv_freq = 1.0 / (theta ** (torch.arange(quarter, dtype=torch.float32, device=positions.device) / quarter))
    rows = positions[:, 0:1] * inv_freq[None, :]
    cols = positions[:, 1:2] * inv_freq[None, :]
    return torch.cat([rows, cols], dim=-1)


def apply_rope(x, cos, sin):
    """Rotate consecutive pairs (x[2i], x[2i+1]) of x [N, H, T, d] by angles with cos/sin [T, d/2]."""
    even = x[..., 0::2]
    odd = x[..., 1::2]
    rotated = torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1)
    return rotated.flatten(-2)


class StreamWeights(nn.Module):
    """One stream (text or image) of an MMDiT block: its own norms, projections, MLP and adaLN."""

    def __init__(self, dim, heads):
        super().__init__()
        head_dim = dim // heads
        self.modulation = nn.Linear(dim, 6 * dim)
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.q_norm = RMSNorm(head_dim)
        self.k_norm = RMSNorm(head_dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))


class MMDiTBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.image = StreamWeights(dim, heads)
        self.text = StreamWeights(dim, heads)

    def _pre(self, stream, x, c):
        mods = stream.modulation(F.silu(c))[:, None, :].chunk(6, dim=-1)
        h = stream.norm1(x) * (1 + mods[1]) + mods[0]
        q, k, v = stream.qkv(h).chunk(3, dim=-1)
        q = stream.q_norm(split_heads(q, self.heads))
        k = stream.k_norm(split_heads(k, self.heads))
        return q, k, split_heads(v, self.heads), mods

    @staticmethod
    def _post(stream, x, attended, mods):
        x = x + mods[2] * stream.out(attended)
        return x + mods[5] * stream.mlp(stream.norm2(x) * (1 + mods[4]) + mods[3])

    def forward(self, image, text, c, cos, sin, bias):
        qi, ki, vi, mod_i = self._pre(self.image, image, c)
        qt, kt, vt, mod_t = self._pre(self.text, text, c)
        qi = apply_rope(qi, cos, sin)
        ki = apply_rope(ki, cos, sin)
        q = torch.cat([qt, qi], dim=2)
        k = torch.cat([kt, ki], dim=2)
        v = torch.cat([vt, vi], dim=2)
        joint = merge_heads(attention(q, k, v, bias, self.head_dim))
        text_len = text.shape[1]
        text = self._post(self.text, text, joint[:, :text_len], mod_t)
        image = self._post(self.image, image, joint[:, text_len:], mod_i)
        return image, text


class MMDiT(nn.Module):
    """latents [N, C, h, w], timestep [N] (sigma * 1000), context [N, L, D], context_mask [N, L],
    image_positions [T, 2] (row, col per patch, T = h/p * w/p) -> velocity [N, C, h, w]."""

    def __init__(self, latent_channels=4, patch=2, dim=64, context_dim=64, layers=2, heads=4,
                 rope_theta=10000.0):
        super().__init__()
        self.patch = patch
        self.dim = dim
        self.channels = latent_channels
        self.heads = heads
        self.head_dim = dim // heads
        self.rope_theta = rope_theta
        self.patch_embed = nn.Linear(patch * patch * latent_channels, dim)
        self.context_embed = nn.Linear(context_dim, dim)
        self.time_mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.pooled_mlp = nn.Sequential(nn.Linear(context_dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.blocks = nn.ModuleList(MMDiTBlock(dim, heads) for _ in range(layers))
        self.final_modulation = nn.Linear(dim, 2 * dim)
        self.final_norm = nn.LayerNorm(dim)
        self.final = nn.Linear(dim, patch * patch * latent_channels)

    def patchify(self, latents):
        n, c, h, w = latents.shape
        p = self.patch
        x = latents.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1)
        return x.reshape(n, (h // p) * (w // p), p * p * c)

    def unpatchify(self, tokens, h, w):
        n = tokens.shape[0]
        p = self.patch
        x = tokens.reshape(n, h // p, w // p, p, p, self.channels).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(n, self.channels, h, w)

    def forward(self, latents, timestep, context, context_mask, image_positions):
        h, w = latents.shape[2], latents.shape[3]
        image = self.patch_embed(self.patchify(latents))
        mask = context_mask.float()
        pooled = (context * mask[:, :, None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)
        c = self.time_mlp(timestep_embedding(timestep, self.dim)) + self.pooled_mlp(pooled)
        text = self.context_embed(context)
        angles = rope_angles(image_positions, self.head_dim, self.rope_theta)
        cos, sin = torch.cos(angles), torch.sin(angles)
        image_keys = torch.ones_like(image[:, :, 0])
        bias = (1.0 - torch.cat([mask, image_keys], dim=1))[:, None, None, :] * NEG
        for block in self.blocks:
            image, text = block(image, text, c, cos, sin, bias)
        shift, scale = self.final_modulation(F.silu(c))[:, None, :].chunk(2, dim=-1)
        out = self.final(self.final_norm(image) * (1 + scale) + shift)
        return self.unpatchify(out, h, w)


class VaeDecoder(nn.Module):
    """latents [N, C, h, w] -> image [N, 3, 8h, 8w]: conv, 2x nearest upsample, conv, then a 4x
    depth-to-space (pixel shuffle), the cheap way to reach full resolution on a CPU."""

    def __init__(self, latent_channels=4, width=32):
        super().__init__()
        self.conv_in = nn.Conv2d(latent_channels, width, 3, padding=1)
        self.conv_mid = nn.Conv2d(width, width // 2, 3, padding=1)
        self.conv_out = nn.Conv2d(width // 2, 3 * 16, 3, padding=1)
        self.shuffle = nn.PixelShuffle(4)

    def forward(self, latents):
        x = F.silu(self.conv_in(latents))
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = F.silu(self.conv_mid(x))
        return self.shuffle(self.conv_out(x))


class PixelShuffleDecoder(nn.Module):
    """A fixed, weightless "VAE" for pixel-space packs: latents [N, 3*f*f, h, w] -> image
    [N, 3, f*h, f*w] by depth-to-space. Its encoder is ``F.pixel_unshuffle(pixels, f)`` with pixels
    scaled to [-1, 1]; so a latent cell is an f x f pixel block and the pack's vaeScaleFactor is f."""

    def __init__(self, factor=4):
        super().__init__()
        self.shuffle = nn.PixelShuffle(factor)

    def forward(self, latents):
        return self.shuffle(latents)


class LatentRefiner(nn.Module):
    """Convolutions over the latent grid that correct an x0 prediction: input the prediction, the
    noisy latents and sigma (a constant channel), output the prediction plus a residual. The
    transformer draws each image token (8x8 px) on its own from a 128-wide state, which leaves
    ragged edges, speckle and steps at token borders; 3x3 convolutions across the grid see 12 px per
    layer across those borders. The last convolution starts at zero, so an untrained refiner is the
    identity."""

    def __init__(self, channels, width=64, layers=3):
        super().__init__()
        self.conv_in = nn.Conv2d(2 * channels + 1, width, 3, padding=1)
        self.mid = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(layers - 2))
        self.conv_out = nn.Conv2d(width, channels, 3, padding=1)
        with torch.no_grad():
            self.conv_out.weight.zero_()
            self.conv_out.bias.zero_()

    def forward(self, x0, latents, sigma):
        s = torch.ones_like(x0[:, :1]) * sigma[:, None, None, None]
        h = F.silu(self.conv_in(torch.cat([x0, latents, s], dim=1)))
        for conv in self.mid:
            h = F.silu(conv(h))
        return x0 + self.conv_out(h)


class XPredictionMMDiT(nn.Module):
    """An MMDiT that predicts the clean latents x0, wrapped to speak velocity like any other pack.

    In pixel space a patch (here 192 values) is wider than the model (128): a velocity target
    (noise - x0) asks the network to carry per-pixel noise through that bottleneck, which it cannot,
    and samples stay noisy. Predicting x0 (low-dimensional: flat colours and edges) avoids it; the
    graph then returns ``v = (latents - x0) / sigma`` with ``sigma = timestep / 1000`` (clamped at
    ``min_sigma``), so the pipeline's Euler sampler is unchanged and its last step lands on x0.
    An optional ``LatentRefiner`` corrects the transformer's x0 before that.
    """

    def __init__(self, inner, min_sigma=0.05, refiner=None):
        super().__init__()
        self.inner = inner
        self.min_sigma = min_sigma
        self.refiner = refiner

    def predict_x0(self, latents, timestep, context, context_mask, image_positions):
        x0 = self.inner(latents, timestep, context, context_mask, image_positions)
        if self.refiner is not None:
            x0 = self.refiner(x0, latents, timestep / 1000.0)
        return x0

    def forward(self, latents, timestep, context, context_mask, image_positions):
        x0 = self.predict_x0(latents, timestep, context, context_mask, image_positions)
        sigma = torch.clamp(timestep / 1000.0, min=self.min_sigma)[:, None, None, None]
        return (latents - x0) / sigma
