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
