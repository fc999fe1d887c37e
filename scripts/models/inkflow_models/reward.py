"""The ``reward`` family: three small heads over an image resized to S x S (S in the manifest).

* ``AestheticHead``      pixels [N, 3, S, S] -> aesthetic [N] in (0, 1)
* ``AlignmentHead``      pixels, input_ids, attention_mask -> alignment [N] in (0, 1)
                         (CLIP-like: cosine of image and text embeddings through a sigmoid)
* ``TextRenderingHead``  pixels -> char_logits [N, Lmax, 259]: an OCR head over ByT5 byte ids
                         (0 pad, 1 eos, byte + 3); Java decodes it greedily and scores it against
                         the glyph text with Seedream's R_a / R_h

Pixels are RGB scaled to [0, 1] then normalised with the manifest's mean/std, after an area
(adaptive average pool) resize, the same as ``torch.nn.functional.adaptive_avg_pool2d``.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F

from .tokenizer import GLYPH_VOCAB


class ImageTower(nn.Module):
    """Three stride-2 convolutions and a global average: [N, 3, S, S] -> [N, width]."""

    def __init__(self, width=64):
        super().__init__()
        self.convs = nn.ModuleList([
            nn.Conv2d(3, 16, 3, stride=2, padding=1),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.Conv2d(32, width, 3, stride=2, padding=1),
        ])

    def forward(self, pixels):
        x = pixels
        for conv in self.convs:
            x = F.silu(conv(x))
        return x.mean(dim=(2, 3))


class AestheticHead(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.tower = ImageTower(width)
        self.head = nn.Linear(width, 1)

    def forward(self, pixels):
        return torch.sigmoid(self.head(self.tower(pixels)))[:, 0]


class AlignmentHead(nn.Module):
    def __init__(self, vocab_size, width=64, logit_scale=5.0):
        super().__init__()
        self.tower = ImageTower(width)
        self.image_proj = nn.Linear(width, width)
        self.embed = nn.Embedding(vocab_size, width)
        self.text_proj = nn.Linear(width, width)
        self.logit_scale = logit_scale

    def forward(self, pixels, input_ids, attention_mask):
        image = F.normalize(self.image_proj(self.tower(pixels)), dim=-1)
        mask = attention_mask.float()[:, :, None]
        pooled = (self.embed(input_ids) * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        text = F.normalize(self.text_proj(pooled), dim=-1)
        return torch.sigmoid(self.logit_scale * (image * text).sum(dim=-1))


class TextRenderingHead(nn.Module):
    def __init__(self, max_chars=24, width=64, hidden=32):
        super().__init__()
        self.max_chars = max_chars
        self.hidden = hidden
        self.tower = ImageTower(width)
        self.expand = nn.Linear(width, max_chars * hidden)
        self.classify = nn.Linear(hidden, GLYPH_VOCAB)

    def forward(self, pixels):
        x = self.expand(self.tower(pixels)).reshape(-1, self.max_chars, self.hidden)
        return self.classify(F.silu(x))


# ------------------------------------------------------------------ scene heads (mini-reward pack)

class SceneTower(nn.Module):
    """Four 3x3 convolutions with batch norm (the first at full resolution, then three at stride 2)
    keeping the spatial map: [N, 3, S, S] -> [N, width, S/8, S/8]. Position-aware heads flatten the
    map. (Without the norms the OCR head sat at the label prior for hundreds of steps.)"""

    def __init__(self, width=64):
        super().__init__()
        channels = [3, 24, 32, 48, width]
        strides = [1, 2, 2, 2]
        self.convs = nn.ModuleList(nn.Conv2d(channels[i], channels[i + 1], 3, stride=strides[i], padding=1)
                                   for i in range(4))
        self.norms = nn.ModuleList(nn.BatchNorm2d(channels[i + 1]) for i in range(4))

    def forward(self, pixels):
        x = pixels
        for conv, norm in zip(self.convs, self.norms):
            x = F.silu(norm(conv(x)))
        return x


class SceneAestheticHead(nn.Module):
    """Clean render vs degraded copy: mean and max pooled features -> probability of clean."""

    def __init__(self, width=48):
        super().__init__()
        self.tower = SceneTower(width)
        self.head = nn.Sequential(nn.Linear(2 * width, 64), nn.SiLU(), nn.Linear(64, 1))

    def forward(self, pixels):
        x = self.tower(pixels)
        feats = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=-1)
        return torch.sigmoid(self.head(feats))[:, 0]


class SceneTextReader(nn.Module):
    """OCR head over the flattened spatial map: [N, 3, S, S] -> char_logits [N, max_chars, 259]."""

    def __init__(self, image_size=48, max_chars=8, width=64, hidden=64):
        super().__init__()
        self.max_chars = max_chars
        self.hidden = hidden
        self.tower = SceneTower(width)
        cells = (image_size // 8) ** 2
        self.expand = nn.Sequential(nn.Linear(width * cells, 256), nn.SiLU(), nn.Linear(256, max_chars * hidden))
        self.classify = nn.Linear(hidden, GLYPH_VOCAB)

    def forward(self, pixels):
        x = self.expand(self.tower(pixels).flatten(1)).reshape(-1, self.max_chars, self.hidden)
        return self.classify(F.silu(x))


class SceneAttributeAlignment(nn.Module):
    """Alignment as agreement on the scene's attributes, read once from the image and once from the
    caption.

    ``slots`` is a list of (name, classes): background colour, layout, each object's colour and shape,
    the text. The image side (conv tower, flattened map, MLP) and the caption side each give a
    distribution per slot; the score is the product over slots of the probability that both sides
    name the same class (sum_k p_image(k) * p_caption(k)). Both sides are trained with cross-entropy
    on the generator's ground truth, which needs far fewer samples than learning agreement from
    matched / mismatched pairs (a caption with one attribute changed differs from the right one in a
    single word).

    The caption side is token embeddings + learned positions through two bidirectional encoder
    blocks, then one learned query per slot that attends over the tokens, and a linear classifier
    per slot on what it pooled. Each slot thus reads the words it needs (the colour word before the
    first shape, say) and not the whole caption: with one pooled vector for all slots, the caption
    side read all attributes right for only 18% of captions that name a held-out (colour, shape)
    pair, a combination it never saw; with a query per slot, for all of them."""

    def __init__(self, vocab_size, slots, image_size=48, width=64, text_dim=64, max_length=32, hidden=128):
        super().__init__()
        from .mmdit import EncoderBlock, NEG
        self.neg = NEG
        self.sizes = [n for _, n in slots]
        total = sum(self.sizes)
        self.tower = SceneTower(width)
        cells = (image_size // 8) ** 2
        self.image_head = nn.Sequential(nn.Linear(width * cells, hidden), nn.SiLU(), nn.Linear(hidden, total))
        self.embed = nn.Embedding(vocab_size, text_dim)
        self.position = nn.Parameter(torch.randn(max_length, text_dim) * 0.02)
        self.blocks = nn.ModuleList(EncoderBlock(text_dim, 4) for _ in range(2))
        self.norm = nn.LayerNorm(text_dim)
        self.slot_queries = nn.Parameter(torch.randn(len(self.sizes), text_dim) * 0.02)
        self.slot_key = nn.Linear(text_dim, text_dim)
        self.slot_heads = nn.ModuleList(nn.Linear(text_dim, n) for n in self.sizes)

    def image_logits(self, pixels):
        return self.image_head(self.tower(pixels).flatten(1))

    def text_logits(self, input_ids, attention_mask):
        mask = attention_mask.float()
        x = self.embed(input_ids) + self.position
        bias = (1.0 - mask)[:, None, None, :] * self.neg
        for block in self.blocks:
            x = block(x, bias)
        x = self.norm(x)
        scores = torch.matmul(self.slot_key(x), self.slot_queries.t()).transpose(1, 2)  # [N, slots, L]
        scale = 1.0 / math.sqrt(x.shape[-1])
        weights = torch.softmax(scores * scale + (1.0 - mask)[:, None, :] * self.neg, dim=-1)
        pooled = torch.matmul(weights, x)  # [N, slots, D]
        return torch.cat([head(pooled[:, k]) for k, head in enumerate(self.slot_heads)], dim=-1)

    def split(self, logits):
        return torch.split(logits, self.sizes, dim=-1)

    def forward(self, pixels, input_ids, attention_mask):
        score = None
        for li, lt in zip(self.split(self.image_logits(pixels)), self.split(self.text_logits(input_ids, attention_mask))):
            agree = (torch.softmax(li, dim=-1) * torch.softmax(lt, dim=-1)).sum(dim=-1)
            score = agree if score is None else score * agree
        return score
