"""Tiny random-weight stand-ins for the Stable Diffusion / SDXL graphs, with the I/O contract of an
``optimum-cli export onnx`` export (input/output names, ranks, which inputs exist).

They are not diffusers' or transformers' classes: just enough structure that every output depends
on every input the way the real graph's does (causal CLIP text transformer with EOT pooling; UNet
with diffusers' sinusoidal timestep embedding, cross-attention over ``encoder_hidden_states`` and
SDXL's ``text_time`` add-embedding; an 8x VAE decoder and encoder).
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 49408
TOKEN_SPLIT = 512  # token embedding factored as A[id % 512] + B[id // 512]: small files


def timestep_embedding(timesteps, dim, flip_sin_to_cos, freq_shift, max_period=10000):
    """diffusers.models.embeddings.get_timestep_embedding (scale 1), for a 1-D float tensor."""
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(0, half, dtype=torch.float32)
    exponent = exponent / (half - freq_shift)
    emb = timesteps[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    return emb


def attention(q, k, v, heads, mask=None):
    b, n, c = q.shape
    m = k.shape[1]
    d = c // heads
    q = q.reshape(b, n, heads, d).transpose(1, 2)
    k = k.reshape(b, m, heads, d).transpose(1, 2)
    v = v.reshape(b, m, heads, d).transpose(1, 2)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d))
    if mask is not None:
        scores = scores + mask
    out = torch.matmul(torch.softmax(scores, dim=-1), v)
    return out.transpose(1, 2).reshape(b, n, c)


class ClipLayer(nn.Module):
    def __init__(self, dim, heads, act):
        super().__init__()
        self.heads = heads
        self.act = act
        self.ln1 = nn.LayerNorm(dim, eps=1e-5)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim, eps=1e-5)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x, mask):
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        x = x + self.proj(attention(q, k, v, self.heads, mask))
        h = self.fc1(self.ln2(x))
        h = h * torch.sigmoid(1.702 * h) if self.act == "quick_gelu" else F.gelu(h)
        return x + self.fc2(h)


class ClipText(nn.Module):
    """CLIP text transformer. ``forward(input_ids)`` returns (last_hidden_state, pooled, hidden_states)
    with hidden_states[0] = the embeddings and hidden_states[i] = the output of layer i; pooled is
    last_hidden_state at the first position holding the largest id (EOT), as CLIP does."""

    def __init__(self, dim, layers, heads, act, max_positions=77):
        super().__init__()
        self.tok_lo = nn.Embedding(TOKEN_SPLIT, dim)
        self.tok_hi = nn.Embedding((VOCAB + TOKEN_SPLIT - 1) // TOKEN_SPLIT, dim)
        self.pos = nn.Parameter(torch.randn(max_positions, dim) * 0.1)
        self.layers = nn.ModuleList([ClipLayer(dim, heads, act) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(dim, eps=1e-5)
        with torch.no_grad():
            self.tok_lo.weight.mul_(0.5)
            self.tok_hi.weight.mul_(0.5)

    def forward(self, input_ids):
        ids = input_ids.long()
        seq = ids.shape[1]
        x = self.tok_lo(ids % TOKEN_SPLIT) + self.tok_hi(ids // TOKEN_SPLIT) + self.pos[:seq]
        mask = torch.triu(torch.full((seq, seq), -1e9), diagonal=1)
        hidden = [x]
        for layer in self.layers:
            x = layer(x, mask)
            hidden.append(x)
        last = self.final_layer_norm(x)
        eot = ids.float().argmax(dim=-1)
        pooled = last[torch.arange(last.shape[0]), eot]
        return last, pooled, hidden


class ClipTextModel(nn.Module):
    """Graph ``text_encoder``: CLIPTextOnnxConfig outputs (last_hidden_state, pooler_output, and
    hidden_states.0..N when the export sets output_hidden_states, as it does for SDXL)."""

    def __init__(self, dim, layers, heads, act, hidden_states):
        super().__init__()
        self.text_model = ClipText(dim, layers, heads, act)
        self.hidden_states = hidden_states

    def forward(self, input_ids):
        last, pooled, hidden = self.text_model(input_ids)
        return tuple([last, pooled] + (hidden if self.hidden_states else []))


class ClipTextModelWithProjection(nn.Module):
    """Graph ``text_encoder_2``: CLIPTextWithProjectionOnnxConfig outputs (text_embeds,
    last_hidden_state, hidden_states.0..N)."""

    def __init__(self, dim, layers, heads, act, projection_dim):
        super().__init__()
        self.text_model = ClipText(dim, layers, heads, act)
        self.text_projection = nn.Linear(dim, projection_dim, bias=False)

    def forward(self, input_ids):
        last, pooled, hidden = self.text_model(input_ids)
        return tuple([self.text_projection(pooled), last] + hidden)


class ResBlock(nn.Module):
    def __init__(self, ch, temb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, ch, eps=1e-5)
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.temb = nn.Linear(temb, ch)
        self.norm2 = nn.GroupNorm(groups, ch, eps=1e-5)
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return x + h


class CrossAttention(nn.Module):
    def __init__(self, ch, context, heads, groups):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups, ch, eps=1e-6)
        self.q = nn.Linear(ch, ch, bias=False)
        self.k = nn.Linear(context, ch, bias=False)
        self.v = nn.Linear(context, ch, bias=False)
        self.out = nn.Linear(ch, ch)

    def forward(self, x, context):
        b, c, h, w = x.shape
        t = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        o = self.out(attention(self.q(t), self.k(context), self.v(context), self.heads))
        return x + o.transpose(1, 2).reshape(b, c, h, w)


class TinyUNet(nn.Module):
    """Graph ``unet``: (sample, timestep, encoder_hidden_states[, text_embeds, time_ids]) -> out_sample.

    ``timestep`` is either rank 0 (float, current Optimum) or rank 1 of length 1 or batch (int64,
    Optimum <= 1.23); it is broadcast over the batch like UNet2DConditionModel does.
    """

    def __init__(self, cfg):
        super().__init__()
        ch = cfg["block_out_channels"][0]
        groups = cfg["norm_num_groups"]
        temb = 4 * ch
        self.cfg = cfg
        self.conv_in = nn.Conv2d(cfg["in_channels"], ch, 3, padding=1)
        self.time_1 = nn.Linear(ch, temb)
        self.time_2 = nn.Linear(temb, temb)
        self.text_time = cfg.get("addition_embed_type") == "text_time"
        if self.text_time:
            self.add_1 = nn.Linear(cfg["projection_class_embeddings_input_dim"], temb)
            self.add_2 = nn.Linear(temb, temb)
        self.res1 = ResBlock(ch, temb, groups)
        head_dim = cfg["attention_head_dim"]
        head_dim = head_dim[0] if isinstance(head_dim, list) else head_dim
        self.attn = CrossAttention(ch, cfg["cross_attention_dim"], ch // head_dim, groups)
        self.down = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
        self.res2 = ResBlock(ch, temb, groups)
        self.up = nn.Conv2d(ch, ch, 3, padding=1)
        self.res3 = ResBlock(ch, temb, groups)
        self.norm_out = nn.GroupNorm(groups, ch, eps=1e-5)
        self.conv_out = nn.Conv2d(ch, cfg["out_channels"], 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds=None, time_ids=None):
        cfg = self.cfg
        t = timestep.float().reshape(-1)
        emb = timestep_embedding(t, self.conv_in.out_channels, cfg["flip_sin_to_cos"], cfg["freq_shift"])
        emb = self.time_2(F.silu(self.time_1(emb)))
        if self.text_time:
            time_embeds = timestep_embedding(time_ids.reshape(-1), cfg["addition_time_embed_dim"],
                                             cfg["flip_sin_to_cos"], cfg["freq_shift"])
            time_embeds = time_embeds.reshape(text_embeds.shape[0], -1)
            add = torch.cat([text_embeds, time_embeds], dim=-1)
            emb = emb + self.add_2(F.silu(self.add_1(add)))
        emb = emb + torch.zeros(sample.shape[0], 1)  # broadcast a length-1 timestep over the batch
        h = self.conv_in(sample)
        h = self.res1(h, emb)
        h = self.attn(h, encoder_hidden_states)
        skip = h
        h = self.res2(self.down(h), emb)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.res3(self.up(h) + skip, emb)
        return self.conv_out(F.silu(self.norm_out(h)))


class TinyVaeDecoder(nn.Module):
    """Graph ``vae_decoder``: latent_sample [b,4,h,w] -> sample [b,3,8h,8w]."""

    def __init__(self, latent, ch, groups):
        super().__init__()
        self.post_quant_conv = nn.Conv2d(latent, latent, 1)
        self.conv_in = nn.Conv2d(latent, ch, 3, padding=1)
        self.ups = nn.ModuleList([nn.Conv2d(ch, ch, 3, padding=1) for _ in range(3)])
        self.norm_out = nn.GroupNorm(groups, ch, eps=1e-6)
        self.conv_out = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(self.post_quant_conv(latent_sample))
        for conv in self.ups:
            h = conv(F.silu(F.interpolate(h, scale_factor=2.0, mode="nearest")))
        return self.conv_out(F.silu(self.norm_out(h)))


class TinyVaeEncoder(nn.Module):
    """Graph ``vae_encoder``: sample [b,3,H,W] -> the latent distribution's parameters [b,8,H/8,W/8]
    (mean, logvar; Optimum >= 1.23 ``latent_parameters``) or, with ``mean_only``, its mean
    [b,4,H/8,W/8] under Optimum <= 1.22's name ``latent_sample`` (the real graph draws a sample
    there; the mean keeps this one deterministic)."""

    def __init__(self, latent, ch, groups, mean_only):
        super().__init__()
        self.mean_only = mean_only
        self.latent = latent
        self.conv_in = nn.Conv2d(3, ch, 3, padding=1)
        self.downs = nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1) for _ in range(3)])
        self.norm_out = nn.GroupNorm(groups, ch, eps=1e-6)
        self.conv_out = nn.Conv2d(ch, 2 * latent, 3, padding=1)
        self.quant_conv = nn.Conv2d(2 * latent, 2 * latent, 1)

    def forward(self, sample):
        h = self.conv_in(sample)
        for conv in self.downs:
            h = conv(F.silu(h))
        moments = self.quant_conv(self.conv_out(F.silu(self.norm_out(h))))
        return moments[:, :self.latent] if self.mean_only else moments
