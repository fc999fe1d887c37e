"""Tiny random-weight stand-ins for the SD3 and FLUX.1 graphs, with the I/O contract of an
``optimum-cli export onnx`` export (input/output names, ranks, which inputs exist).

They are not diffusers' or transformers' classes. Each keeps the structure that makes every output
depend on every input the way the real graph's does:

* ``T5Encoder``: token embedding, bidirectional self-attention with a learned relative-position
  bias (clipped distances), gated-GELU feed-forward, RMS norms (T5's ``T5LayerNorm``);
* ``TinySD3Transformer``: 2x2 patch embedding with 2D sin-cos positions taken from the centre of a
  ``pos_embed_max_size`` grid (as SD3 crops its table), diffusers' sinusoidal timestep embedding
  plus the pooled projection, a context embedder, joint (MMDiT) attention blocks with adaLN
  modulation, an adaLN output norm and unpatchify;
* ``TinyFluxTransformer``: the packed-token contract: x/context embedders, timestep (and, for dev,
  guidance) embeddings of ``value * 1000``, the pooled projection, Flux's 3-axis rotary position
  embedding of ``cat(txt_ids, img_ids)`` applied to queries and keys, one double-stream and one
  single-stream block.

The CLIP encoders and the 16-channel VAE come from ``sd_tiny``.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .sd_tiny import attention, timestep_embedding

TIME_PROJ = 256  # diffusers Timesteps(num_channels=256, flip_sin_to_cos=True, downscale_freq_shift=0)


class RMSNorm(nn.Module):
    """T5LayerNorm: x / sqrt(mean(x^2) + eps) * weight, no mean subtraction, no bias."""

    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class T5Layer(nn.Module):
    def __init__(self, dim, heads, ff):
        super().__init__()
        self.heads = heads
        self.ln1 = RMSNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.o = nn.Linear(dim, dim, bias=False)
        self.ln2 = RMSNorm(dim)
        self.wi_0 = nn.Linear(dim, ff, bias=False)
        self.wi_1 = nn.Linear(dim, ff, bias=False)
        self.wo = nn.Linear(ff, dim, bias=False)

    def forward(self, x, bias):
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        x = x + self.o(attention(q, k, v, self.heads, bias))
        h = self.ln2(x)
        return x + self.wo(F.gelu(self.wi_0(h), approximate="tanh") * self.wi_1(h))


class T5Encoder(nn.Module):
    """Graph ``text_encoder_3`` (SD3) / ``text_encoder_2`` (Flux): T5EncoderOnnxConfig,
    ``input_ids`` [b, seq] int64 -> ``last_hidden_state`` [b, seq, d_model]. No attention mask
    input: the pipelines feed the padded ids and no mask, so pad tokens are attended to."""

    def __init__(self, vocab, dim, layers, heads, ff, max_distance=8):
        super().__init__()
        self.shared = nn.Embedding(vocab, dim)
        self.max_distance = max_distance
        self.relative_attention_bias = nn.Embedding(2 * max_distance + 1, heads)
        self.layers = nn.ModuleList([T5Layer(dim, heads, ff) for _ in range(layers)])
        self.final_layer_norm = RMSNorm(dim)
        with torch.no_grad():
            self.shared.weight.mul_(0.5)

    def forward(self, input_ids):
        x = self.shared(input_ids.long())
        pos = torch.arange(x.shape[1])
        rel = (pos[None, :] - pos[:, None]).float().clamp(-self.max_distance, self.max_distance)
        rel = (rel + self.max_distance).long()  # clipped in float: Clip on int64 is not in every runtime
        bias = self.relative_attention_bias(rel).permute(2, 0, 1).unsqueeze(0)  # [1, heads, q, k]
        for layer in self.layers:
            x = layer(x, bias)
        return self.final_layer_norm(x)


def _sincos(pos, dim):
    """1-D sin-cos embedding of float positions [n] -> [n, dim] (diffusers' get_1d_sincos_pos_embed order:
    sin half, then cos half)."""
    half = dim // 2
    omega = 1.0 / (10000 ** (torch.arange(half, dtype=torch.float32) / half))
    out = pos[:, None] * omega[None, :]
    return torch.cat([torch.sin(out), torch.cos(out)], dim=-1)


class AdaNorm(nn.Module):
    """LayerNorm (affine at 1/0: torch 1.13 exports the non-affine one badly) then x * (1 + scale) + shift."""

    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def forward(self, x, shift, scale):
        return self.norm(x) * (1 + scale[:, None, :]) + shift[:, None, :]


class JointBlock(nn.Module):
    """MMDiT block: both streams modulated by temb, one attention over [context, image]."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.mod_x = nn.Linear(dim, 6 * dim)
        self.mod_c = nn.Linear(dim, 6 * dim)
        self.norm_x1, self.norm_x2 = AdaNorm(dim), AdaNorm(dim)
        self.norm_c1, self.norm_c2 = AdaNorm(dim), AdaNorm(dim)
        self.qkv_x = nn.Linear(dim, 3 * dim)
        self.qkv_c = nn.Linear(dim, 3 * dim)
        self.out_x = nn.Linear(dim, dim)
        self.out_c = nn.Linear(dim, dim)
        self.ff_x = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(approximate="tanh"), nn.Linear(2 * dim, dim))
        self.ff_c = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(approximate="tanh"), nn.Linear(2 * dim, dim))

    def forward(self, x, c, temb, rope=None):
        sx, scx, gx, sx2, scx2, gx2 = self.mod_x(F.silu(temb)).chunk(6, dim=-1)
        sc, scc, gc, sc2, scc2, gc2 = self.mod_c(F.silu(temb)).chunk(6, dim=-1)
        qx, kx, vx = self.qkv_x(self.norm_x1(x, sx, scx)).chunk(3, dim=-1)
        qc, kc, vc = self.qkv_c(self.norm_c1(c, sc, scc)).chunk(3, dim=-1)
        q, k, v = torch.cat([qc, qx], 1), torch.cat([kc, kx], 1), torch.cat([vc, vx], 1)
        if rope is not None:
            q, k = rope_qk(q, k, rope, self.heads)
        o = attention(q, k, v, self.heads)
        n = c.shape[1]
        oc, ox = o[:, :n], o[:, n:]
        x = x + gx[:, None, :] * self.out_x(ox)
        c = c + gc[:, None, :] * self.out_c(oc)
        x = x + gx2[:, None, :] * self.ff_x(self.norm_x2(x, sx2, scx2))
        c = c + gc2[:, None, :] * self.ff_c(self.norm_c2(c, sc2, scc2))
        return x, c


class TinySD3Transformer(nn.Module):
    """Graph ``transformer`` of SD3: SD3TransformerOnnxConfig.

    (hidden_states [b, C, H, W], encoder_hidden_states [b, seq, joint_attention_dim],
    pooled_projections [b, pooled_projection_dim], timestep [b]) -> out_hidden_states [b, C, H, W].
    ``timestep`` is the scheduler's t (sigma * 1000), as the SD3 pipeline passes it."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        dim = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        assert cfg["caption_projection_dim"] == dim
        p = cfg["patch_size"]
        self.patch = p
        self.proj_in = nn.Conv2d(cfg["in_channels"], dim, p, stride=p)
        self.time_1 = nn.Linear(TIME_PROJ, dim)
        self.time_2 = nn.Linear(dim, dim)
        self.pool_1 = nn.Linear(cfg["pooled_projection_dim"], dim)
        self.pool_2 = nn.Linear(dim, dim)
        self.context_embedder = nn.Linear(cfg["joint_attention_dim"], dim)
        self.blocks = nn.ModuleList([JointBlock(dim, cfg["num_attention_heads"]) for _ in range(cfg["num_layers"])])
        self.mod_out = nn.Linear(dim, 2 * dim)
        self.norm_out = AdaNorm(dim)
        self.proj_out = nn.Linear(dim, p * p * cfg["out_channels"])

    def _positions(self, gh, gw):
        """2D sin-cos positions of the centre gh x gw crop of a pos_embed_max_size grid, scaled to
        the base grid (sample_size / patch_size), as SD3's cropped_pos_embed."""
        dim = self.proj_in.out_channels
        m = self.cfg["pos_embed_max_size"]
        scale = (self.cfg["sample_size"] // self.patch) / m
        top = (m - gh) // 2
        left = (m - gw) // 2
        rows = torch.arange(gh).float() + top
        cols = torch.arange(gw).float() + left
        er = _sincos(rows * scale, dim // 2)  # [gh, dim/2]
        ec = _sincos(cols * scale, dim // 2)  # [gw, dim/2]
        grid = torch.cat([er[:, None, :].expand(-1, ec.shape[0], -1), ec[None, :, :].expand(er.shape[0], -1, -1)], -1)
        return grid.reshape(-1, dim)

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep):
        b, c, h, w = hidden_states.shape
        p = self.patch
        gh, gw = h // p, w // p
        x = self.proj_in(hidden_states).flatten(2).transpose(1, 2)  # [b, gh*gw, dim]
        x = x + self._positions(gh, gw)[None]
        t = timestep_embedding(timestep.float().reshape(-1), TIME_PROJ, True, 0)
        temb = self.time_2(F.silu(self.time_1(t))) + self.pool_2(F.silu(self.pool_1(pooled_projections)))
        ctx = self.context_embedder(encoder_hidden_states)
        for block in self.blocks:
            x, ctx = block(x, ctx, temb)
        shift, scale = self.mod_out(F.silu(temb)).chunk(2, dim=-1)
        x = self.proj_out(self.norm_out(x, shift, scale))  # [b, gh*gw, p*p*C]
        out_c = self.cfg["out_channels"]
        x = x.reshape(b, gh, gw, p, p, out_c).permute(0, 5, 1, 3, 2, 4)
        return x.reshape(b, out_c, gh * p, gw * p)


def rope_tables(ids, axes_dims, theta=10000.0):
    """FluxPosEmbed with get_1d_rotary_pos_embed(repeat_interleave_real=True, use_real=True), in
    float32: ids [S, n_axes] -> (cos, sin) [S, sum(axes_dims)]."""
    pos = ids.float()
    cos_out, sin_out = [], []
    for i, d in enumerate(axes_dims):
        freqs = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
        f = pos[:, i][:, None] * freqs[None, :]  # [S, d/2]
        cos_out.append(torch.stack([f.cos(), f.cos()], -1).reshape(f.shape[0], d))  # repeat_interleave(2)
        sin_out.append(torch.stack([f.sin(), f.sin()], -1).reshape(f.shape[0], d))
    return torch.cat(cos_out, -1), torch.cat(sin_out, -1)


def rope_qk(q, k, rope, heads):
    """apply_rotary_emb(use_real_unbind_dim=-1) on [b, S, heads*d] queries and keys."""
    cos, sin = rope

    def rot(x):
        b, s, c = x.shape
        x = x.reshape(b, s, heads, c // heads)
        real, imag = x[..., 0::2], x[..., 1::2]
        rotated = torch.stack([-imag, real], -1).reshape(b, s, heads, c // heads)
        out = x * cos[None, :, None, :] + rotated * sin[None, :, None, :]
        return out.reshape(b, s, c)

    return rot(q), rot(k)


class SingleBlock(nn.Module):
    """Flux single-stream block: one modulated norm, attention and MLP in parallel, one projection."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.mod = nn.Linear(dim, 3 * dim)
        self.norm = AdaNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.mlp = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(3 * dim, dim)

    def forward(self, x, temb, rope):
        shift, scale, gate = self.mod(F.silu(temb)).chunk(3, dim=-1)
        h = self.norm(x, shift, scale)
        q, k, v = self.qkv(h).chunk(3, dim=-1)
        q, k = rope_qk(q, k, rope, self.heads)
        a = attention(q, k, v, self.heads)
        m = F.gelu(self.mlp(h), approximate="tanh")
        return x + gate[:, None, :] * self.proj(torch.cat([a, m], -1))


class TinyFluxTransformer(nn.Module):
    """Graph ``transformer`` of FLUX.1: FluxTransformerOnnxConfig (diffusers >= 0.31.0 ids).

    (hidden_states [b, img_seq, in_channels], encoder_hidden_states [b, txt_seq, joint_attention_dim],
    pooled_projections [b, pooled_projection_dim], timestep [b] (t / 1000), img_ids [img_seq, 3],
    txt_ids [txt_seq, 3][, guidance [b] when guidance_embeds]) -> out_hidden_states
    [b, img_seq, in_channels]. ``timestep`` and ``guidance`` are scaled by 1000 inside, as
    FluxTransformer2DModel.forward does."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        dim = cfg["num_attention_heads"] * cfg["attention_head_dim"]
        assert sum(cfg["axes_dims_rope"]) == cfg["attention_head_dim"]
        self.x_embedder = nn.Linear(cfg["in_channels"], dim)
        self.context_embedder = nn.Linear(cfg["joint_attention_dim"], dim)
        self.time_1 = nn.Linear(TIME_PROJ, dim)
        self.time_2 = nn.Linear(dim, dim)
        self.guidance_embeds = cfg["guidance_embeds"]
        if self.guidance_embeds:
            self.guid_1 = nn.Linear(TIME_PROJ, dim)
            self.guid_2 = nn.Linear(dim, dim)
        self.text_1 = nn.Linear(cfg["pooled_projection_dim"], dim)
        self.text_2 = nn.Linear(dim, dim)
        heads = cfg["num_attention_heads"]
        self.transformer_blocks = nn.ModuleList([JointBlock(dim, heads) for _ in range(cfg["num_layers"])])
        self.single_transformer_blocks = nn.ModuleList(
            [SingleBlock(dim, heads) for _ in range(cfg["num_single_layers"])])
        self.mod_out = nn.Linear(dim, 2 * dim)
        self.norm_out = AdaNorm(dim)
        self.proj_out = nn.Linear(dim, cfg["in_channels"])

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids,
                guidance=None):
        x = self.x_embedder(hidden_states)
        t = timestep_embedding(timestep.float().reshape(-1) * 1000, TIME_PROJ, True, 0)
        temb = self.time_2(F.silu(self.time_1(t)))
        if self.guidance_embeds:
            g = timestep_embedding(guidance.float().reshape(-1) * 1000, TIME_PROJ, True, 0)
            temb = temb + self.guid_2(F.silu(self.guid_1(g)))
        temb = temb + self.text_2(F.silu(self.text_1(pooled_projections)))
        ctx = self.context_embedder(encoder_hidden_states)
        rope = rope_tables(torch.cat([txt_ids, img_ids], 0), self.cfg["axes_dims_rope"])
        for block in self.transformer_blocks:
            x, ctx = block(x, ctx, temb, rope)
        n = ctx.shape[1]
        h = torch.cat([ctx, x], 1)
        for block in self.single_transformer_blocks:
            h = block(h, temb, rope)
        x = h[:, n:]
        shift, scale = self.mod_out(F.silu(temb)).chunk(2, dim=-1)
        return self.proj_out(self.norm_out(x, shift, scale))
