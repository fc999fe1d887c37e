"""Tiny random-weight CLIP scorers with the I/O contract of the public CLIP-based reward models, and the
reference scoring that PickScore, HPS v2 and the LAION aesthetic predictor publish.

Graphs (names as Optimum and the documented exports write them):

* ``TinyClipModel``       one ``model.onnx``, as ``optimum-cli export onnx --task zero-shot-image-classification``
                          writes a ``CLIPModel`` (PickScore_v1): in ``input_ids``, ``pixel_values``,
                          ``attention_mask``; out ``logits_per_image``, ``logits_per_text``, ``text_embeds``,
                          ``image_embeds`` (the embeds L2-normalised, as ``CLIPModel.forward`` returns them)
* ``TinyClipTextModel``   ``text_model.onnx`` of the split layout: ``input_ids`` -> ``text_embeds`` (projected,
                          not normalised, as ``get_text_features`` / open_clip's ``encode_text``)
* ``TinyClipVisionModel`` ``vision_model.onnx``: ``pixel_values`` -> ``image_embeds`` (projected, not normalised)
* ``TinyAestheticMlp``    the LAION aesthetic predictor's MLP (five Linear layers, no activations, dropout a no-op
                          at inference) over an L2-normalised image embedding -> ``aesthetic`` [N, 1]

The towers are not transformers' classes: a pre-LayerNorm transformer (``sd_tiny.ClipLayer``) with CLIP's
causal text mask, the attention mask added on the keys, pooling at the first argmax of ``input_ids`` (EOT, as
open_clip and transformers' legacy ``eos_token_id == 2`` path do), a ViT with a class token, ``pre_layrnorm`` and
``post_layernorm``, and bias-free projections.
"""

import math

import numpy as np
import torch
from torch import nn

from .sd_tiny import TOKEN_SPLIT, VOCAB, ClipLayer

MASK_BIAS = -1e9


class TextTower(nn.Module):
    """CLIP's text transformer: ``forward(input_ids, attention_mask)`` -> the pooled EOT state [N, width]."""

    def __init__(self, width, layers, heads, act, max_positions=77):
        super().__init__()
        self.tok_lo = nn.Embedding(TOKEN_SPLIT, width)
        self.tok_hi = nn.Embedding((VOCAB + TOKEN_SPLIT - 1) // TOKEN_SPLIT, width)
        self.pos = nn.Parameter(torch.randn(max_positions, width) * 0.1)
        self.layers = nn.ModuleList([ClipLayer(width, heads, act) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(width, eps=1e-5)
        with torch.no_grad():
            self.tok_lo.weight.mul_(0.5)
            self.tok_hi.weight.mul_(0.5)

    def forward(self, input_ids, attention_mask=None):
        ids = input_ids.long()
        seq = ids.shape[1]
        x = self.tok_lo(ids % TOKEN_SPLIT) + self.tok_hi(ids // TOKEN_SPLIT) + self.pos[:seq]
        mask = torch.triu(torch.full((seq, seq), MASK_BIAS), diagonal=1)[None, None]
        if attention_mask is not None:
            mask = mask + (1.0 - attention_mask.float())[:, None, None, :] * MASK_BIAS
        for layer in self.layers:
            x = layer(x, mask)
        last = self.final_layer_norm(x)
        eot = ids.float().argmax(dim=-1)
        return last[torch.arange(last.shape[0]), eot]


class VisionTower(nn.Module):
    """CLIP's ViT: patches, class token, positions, ``pre_layrnorm``, layers, ``post_layernorm`` of the class token."""

    def __init__(self, width, layers, heads, act, image_size, patch):
        super().__init__()
        grid = image_size // patch
        self.patch_embedding = nn.Conv2d(3, width, patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * 0.1)
        self.pos = nn.Parameter(torch.randn(grid * grid + 1, width) * 0.1)
        self.pre_layrnorm = nn.LayerNorm(width, eps=1e-5)
        self.layers = nn.ModuleList([ClipLayer(width, heads, act) for _ in range(layers)])
        self.post_layernorm = nn.LayerNorm(width, eps=1e-5)

    def forward(self, pixel_values):
        x = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.pre_layrnorm(torch.cat([cls, x], dim=1) + self.pos)
        for layer in self.layers:
            x = layer(x, None)
        return self.post_layernorm(x[:, 0])


class TinyClip(nn.Module):
    """Both towers, their projections and ``logit_scale`` (stored as its log, as CLIP stores it)."""

    def __init__(self, text_width, vision_width, projection, layers, heads, act, image_size, patch, logit_scale):
        super().__init__()
        self.text_model = TextTower(text_width, layers, heads, act)
        self.vision_model = VisionTower(vision_width, layers, heads, act, image_size, patch)
        self.text_projection = nn.Linear(text_width, projection, bias=False)
        self.visual_projection = nn.Linear(vision_width, projection, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(logit_scale)))

    def get_text_features(self, input_ids, attention_mask=None):
        return self.text_projection(self.text_model(input_ids, attention_mask))

    def get_image_features(self, pixel_values):
        return self.visual_projection(self.vision_model(pixel_values))


class TinyClipModel(nn.Module):
    """``model.onnx``: CLIPModel.forward's outputs in Optimum's order."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids, pixel_values, attention_mask):
        image_embeds = self.clip.get_image_features(pixel_values)
        text_embeds = self.clip.get_text_features(input_ids, attention_mask)
        image_embeds = image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True)
        text_embeds = text_embeds / text_embeds.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = torch.matmul(text_embeds, image_embeds.t()) * self.clip.logit_scale.exp()
        return logits_per_text.t(), logits_per_text, text_embeds, image_embeds


class TinyClipTextModel(nn.Module):
    """``text_model.onnx``: ``input_ids`` -> ``text_embeds`` (open_clip's ``encode_text``: no attention mask)."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, input_ids):
        return self.clip.get_text_features(input_ids)


class TinyClipVisionModel(nn.Module):
    """``vision_model.onnx``: ``pixel_values`` -> ``image_embeds``."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixel_values):
        return self.clip.get_image_features(pixel_values)


class TinyAestheticMlp(nn.Module):
    """The LAION predictor's ``MLP.layers`` shape (Linear 768-1024-128-64-16-1, Dropout between the first four, no
    activation) with shrunk widths; ``gain`` spreads the random outputs and ``bias`` centres them in the
    predictor's 1..10 range."""

    def __init__(self, dim, widths=(32, 16, 8, 4), gain=40.0, bias=5.5):
        super().__init__()
        sizes = [dim] + list(widths) + [1]
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < 3:
                layers.append(nn.Dropout(0.2 if i < 2 else 0.1))
        self.layers = nn.Sequential(*layers)
        with torch.no_grad():
            self.layers[-1].weight.mul_(gain)
            self.layers[-1].bias.fill_(bias)

    def forward(self, image_embeds):
        return self.layers(image_embeds)


# ---------------------------------------------------------------------------------------------
# Reference scoring, written as the published code computes it
# ---------------------------------------------------------------------------------------------

def l2_normalised(a):
    """The LAION predictor's ``normalized``: ``a / ||a||_2`` per row, a zero norm left as 1."""
    a = np.asarray(a, dtype=np.float32)
    norm = np.atleast_1d(np.linalg.norm(a, 2, -1))
    norm[norm == 0] = 1
    return a / np.expand_dims(norm, -1)


@torch.no_grad()
def pickscore(clip, pixel_values, prompt_ids):
    """PickScore's ``calc_probs`` before the softmax: ``logit_scale.exp() * text_embs @ image_embs.T``, the embeds
    from ``get_*_features`` divided by their norms. ``prompt_ids``: one unpadded id list per prompt (the processor's
    ``padding=True`` pads to the longest; one prompt a call, as the model card scores, pads nothing).
    Returns [images, prompts] (float32), the normalised image and text embeds."""
    image = clip.get_image_features(torch.from_numpy(pixel_values))
    image = image / torch.norm(image, dim=-1, keepdim=True)
    texts = []
    for ids in prompt_ids:
        t = torch.tensor([ids], dtype=torch.int64)
        e = clip.get_text_features(t, torch.ones_like(t))
        texts.append(e / torch.norm(e, dim=-1, keepdim=True))
    text = torch.cat(texts, dim=0)
    scores = clip.logit_scale.exp() * (image @ text.T)
    return scores.numpy(), image.numpy(), text.numpy()


@torch.no_grad()
def hps(clip, pixel_values, ids77):
    """HPS v2's ``score``: ``image_features @ text_features.T`` with open_clip's normalised features and its
    77-id rows (padded with 0), no logit scale. Returns [images, prompts], image and text embeds."""
    image = clip.get_image_features(torch.from_numpy(pixel_values))
    image = image / image.norm(dim=-1, keepdim=True)
    text = clip.get_text_features(torch.tensor(ids77, dtype=torch.int64))
    text = text / text.norm(dim=-1, keepdim=True)
    return (image @ text.T).numpy(), image.numpy(), text.numpy()


@torch.no_grad()
def laion_aesthetic(clip, mlp, pixel_values):
    """The LAION predictor: ``model.encode_image``, numpy ``normalized``, then the MLP. Returns [images] (float32)."""
    features = clip.get_image_features(torch.from_numpy(pixel_values)).numpy()
    return mlp(torch.from_numpy(l2_normalised(features))).numpy()[:, 0]


def linear_map(x, lo, hi):
    """The packs' ``scoreMap`` ``linear``: ``(x - min) / (max - min)`` clipped to [0, 1], in float64."""
    return min(1.0, max(0.0, (float(x) - lo) / (hi - lo)))
