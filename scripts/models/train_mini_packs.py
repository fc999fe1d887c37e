"""Train the mini bilingual packs on synthetic scenes (``synthetic_data.py``), on a CPU.

    /usr/bin/python3 scripts/models/train_mini_packs.py generator [--work DIR]   # MMDiT + encoders
    /usr/bin/python3 scripts/models/train_mini_packs.py reward    [--work DIR]   # the three reward heads
    /usr/bin/python3 scripts/models/train_mini_packs.py export    [--work DIR] [--out infra/models]

Hyper-parameters and the seed are in ``mini_packs.json``. Training checkpoints to ``--work``
(default /tmp/inkflow-mini) every ``checkpoint_seconds`` and resumes from the last checkpoint when
restarted; each step's data and noise come from a generator seeded by (seed, step), so a resumed run
sees the same batches as an uninterrupted one. ``export`` writes infra/models/mini-mmdit-flow and
infra/models/mini-reward with golden tensors, from the EMA generator weights and the reward heads.

The generator works in pixel space: the "VAE" is a fixed 4x4 space-to-depth patching (48 latent
channels, ``PixelShuffleDecoder``), the transformer takes 2x2 latent patches (8x8 pixels). It is
trained to predict x0 (``XPredictionMMDiT``, MSE on x0) and exported to return the velocity.

Training has two phases. The first (``generator.steps``) weighs every pixel alike. Under it the model
learns colours, layout and text, and which shape is asked, but draws each object as a patchwork of
8x8 tokens whose edges disagree at token borders; the pixels where one shape differs from another are
a few percent of the image and move the loss little. The second (``generator.object_phase``) resumes
with a warm restart of the learning rate, weighs the pixels inside each object's box (and, with
``text_box``, the text's box), dilated by ``box_margin``, ``1 + object_weight`` times (the boxes are
the renderer's ground truth), and trains the ``LatentRefiner`` as well: convolutions over the latent
grid that clean the transformer's x0 of ragged edges, speckle and steps at token borders.
The refiner exists in both phases but starts as the identity and is left out of the first phase's
optimizer, so the first phase trains exactly the transformer and encoders.
"""

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import synthetic_data as sd  # noqa: E402
from inkflow_models import reward as rw  # noqa: E402
from inkflow_models import tokenizer as tok  # noqa: E402
from inkflow_models.mmdit import (GlyphEncoder, LatentRefiner, MMDiT, PixelShuffleDecoder, TextEncoder,  # noqa: E402
                                  XPredictionMMDiT)
from inkflow_models import sampler  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def load_config():
    with open(os.path.join(HERE, "mini_packs.json"), encoding="utf-8") as f:
        return json.load(f)


def spec_of(cfg):
    g = cfg["generator"]
    return {
        "text_max_length": g["text_max_length"],
        "glyph_max_length": g["glyph_max_length"],
        "latent_channels": 3 * g["pixel_factor"] ** 2,
        "vae_scale": g["pixel_factor"],
        "patch": g["patch"],
        "base_resolution": g["base_resolution"],
        "shift": g["shift"],
        "scaling_factor": 1.0,
        "shift_factor": 0.0,
        "dim": g["dim"],
    }


def build_generator(cfg, vocab_size):
    g = cfg["generator"]
    torch.manual_seed(cfg["seed"])
    text = TextEncoder(vocab_size, dim=g["text_dim"], layers=g["text_layers"], heads=4,
                       max_length=g["text_max_length"])
    glyph = GlyphEncoder(tok.GLYPH_VOCAB, dim=g["glyph_dim"], out_dim=g["text_dim"], layers=g["glyph_layers"],
                         heads=4, max_length=g["glyph_max_length"])
    transformer = MMDiT(3 * g["pixel_factor"] ** 2, g["patch"], g["dim"], g["text_dim"], g["layers"], g["heads"])
    # adaLN-zero style start: the blocks begin as identities, the output as zero
    with torch.no_grad():
        for block in transformer.blocks:
            for stream in (block.image, block.text):
                stream.modulation.weight.zero_()
                stream.modulation.bias.zero_()
        transformer.final.weight.zero_()
        transformer.final.bias.zero_()
    vae = PixelShuffleDecoder(g["pixel_factor"])
    refiner = LatentRefiner(3 * g["pixel_factor"] ** 2, g["object_phase"]["refiner_width"],
                            g["object_phase"]["refiner_layers"])
    return text, glyph, XPredictionMMDiT(transformer, refiner=refiner), vae


def to_latents(images, factor):
    """uint8 [N, H, W, 3] -> pixel-space latents [N, 3 f^2, H/f, W/f] in [-1, 1]."""
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1.0
    return F.pixel_unshuffle(x, factor)


def tokens(prompts, vocab, length):
    rows = [tok.pad(tok.encode(p, vocab), length) for p in prompts]
    return (torch.tensor([r[0] for r in rows], dtype=torch.int64),
            torch.tensor([r[1] for r in rows], dtype=torch.int64))


def glyph_tokens(texts, length):
    rows = [tok.glyph_encode(t, length) for t in texts]
    return (torch.tensor([r[0] for r in rows], dtype=torch.int64),
            torch.tensor([r[1] for r in rows], dtype=torch.int64))


def lr_at(step, total, base, warmup, final_fraction):
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def log(fh, message):
    line = "%s %s" % (time.strftime("%H:%M:%S"), message)
    print(line, flush=True)
    if fh:
        fh.write(line + "\n")
        fh.flush()


def save(path, state):
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------ generator

def generator_batch(cfg, vocab, step, spec):
    g = cfg["generator"]
    rng = random.Random(cfg["seed"] * 1000003 + step)
    bucket = rng.choices(sd.BUCKETS, sd.BUCKET_WEIGHTS)[0]
    images, prompts, glyphs, boxes = [], [], [], []
    for _ in range(g["batch"]):
        scene = sd.sample_scene(rng, bucket, text_prob=g["text_prob"], two_prob=g["two_prob"])
        images.append(sd.render(scene))
        scene_boxes = [o["box"] for o in scene["objects"]]
        if scene["text"] and g["object_phase"]["text_box"]:
            ys, xs = np.nonzero(sd.cached_text_layer(scene["text"], scene["width"], scene["height"]))
            scene_boxes.append([int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())])
        boxes.append(scene_boxes)
        if rng.random() < g["cfg_dropout"]:
            prompts.append("")
            glyphs.append([])
        else:
            prompts.append(sd.caption(scene, rng.choice(["en", "zh"]), rng.randrange(6)))
            glyphs.append([scene["text"]] if scene["text"] else [])
    ids, mask = tokens(prompts, vocab, g["text_max_length"])
    gids, gmask = glyph_tokens(glyphs, g["glyph_max_length"])
    x0 = to_latents(images, g["pixel_factor"])
    w, h = bucket
    positions = torch.from_numpy(sampler.image_positions(h, w, spec["vae_scale"], spec["patch"], spec["base_resolution"]))
    return x0, ids, mask, gids, gmask, positions, boxes


def object_weights(boxes, width, height, factor, weight, margin):
    """Per-value loss weights in the latent layout: 1 + ``weight`` inside every object box dilated by
    ``margin`` px, 1 elsewhere; [N, 3 f^2, H/f, W/f] like the pixel-space latents."""
    w = torch.ones(len(boxes), 3, height, width)
    for i, scene_boxes in enumerate(boxes):
        for x0, y0, x1, y1 in scene_boxes:
            w[i, :, max(0, y0 - margin):min(height, y1 + 1 + margin), max(0, x0 - margin):min(width, x1 + 1 + margin)] = 1.0 + weight
    return F.pixel_unshuffle(w, factor)


def load_weights(modules, weights):
    """Loads generator weights; a checkpoint from before the refiner existed may lack only the refiner,
    which then stays the identity. Returns whether it was missing."""
    missing, unexpected = modules.load_state_dict(weights, strict=False)
    if unexpected or any(".refiner." not in k for k in missing):
        raise RuntimeError("checkpoint does not match the model: missing %s, unexpected %s" % (missing, unexpected))
    return bool(missing)


def train_generator(cfg, work):
    torch.set_num_threads(int(os.environ.get("INKFLOW_THREADS", "2")))
    g = cfg["generator"]
    vocab = tok.build_vocab()
    spec = spec_of(cfg)
    text, glyph, transformer, _ = build_generator(cfg, len(vocab))
    modules = torch.nn.ModuleDict({"text": text, "glyph": glyph, "transformer": transformer})
    ema = {k: v.detach().clone() for k, v in modules.state_dict().items()}

    def optimizer(phase_no):
        params = [p for n, p in modules.named_parameters() if phase_no == 2 or ".refiner." not in n]
        return torch.optim.AdamW(params, lr=g["lr"], weight_decay=g["weight_decay"], betas=(0.9, 0.99))

    opt, opt_phase = optimizer(1), 1
    ckpt = os.path.join(work, "generator.pt")
    step = 0
    fh = open(os.path.join(work, "generator.log"), "a", encoding="utf-8")
    no_refiner = False
    if os.path.exists(ckpt):
        state = torch.load(ckpt)
        no_refiner = load_weights(modules, state["model"])
        ema.update(state["ema"])
        step = state["step"]
        if state.get("opt_phase", 1) == 2:
            opt, opt_phase = optimizer(2), 2
        opt.load_state_dict(state["opt"])
    phase = g["object_phase"]
    total = g["steps"] + phase["steps"]
    log(fh, "generator: %d params, resuming at step %d of %d (%d uniform, then %d object-weighted)" % (
        sum(p.numel() for p in modules.parameters()), step, total, g["steps"], phase["steps"]))
    if no_refiner:
        log(fh, "checkpoint has no refiner; it starts as the identity")
    last_save = time.time()
    started = time.time()
    first = step
    losses = []
    modules.train()
    while step < total:
        if step >= g["steps"] and opt_phase == 1:
            log(fh, "step %d: object-weighted phase, refiner trained, fresh optimizer" % step)
            opt, opt_phase = optimizer(2), 2
        x0, ids, mask, gids, gmask, positions, boxes = generator_batch(cfg, vocab, step, spec)
        gen = torch.Generator().manual_seed(cfg["seed"] * 7919 + step)
        n = x0.shape[0]
        t = torch.sigmoid(torch.randn(n, generator=gen))  # logit-normal timesteps
        noise = torch.randn(x0.shape, generator=gen)
        xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * noise
        context = torch.cat([text(ids, mask), glyph(gids, gmask)], dim=1)
        context_mask = torch.cat([mask, gmask], dim=1).float()
        x0_hat = transformer.predict_x0(xt, t * 1000.0, context, context_mask, positions)
        if step < g["steps"]:
            loss = F.mse_loss(x0_hat, x0)
            lr = lr_at(step, g["steps"], g["lr"], g["warmup"], g["final_lr_fraction"])
        else:
            w = object_weights(boxes, x0.shape[3] * g["pixel_factor"], x0.shape[2] * g["pixel_factor"],
                               g["pixel_factor"], phase["object_weight"], phase["box_margin"])
            loss = (w * (x0_hat - x0) ** 2).sum() / w.sum()
            lr = lr_at(step - g["steps"], phase["steps"], phase["lr"], phase["warmup"], g["final_lr_fraction"])
        for group in opt.param_groups:
            group["lr"] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for group in opt.param_groups for p in group["params"]], 1.0)
        opt.step()
        decay = min(g["ema"], (1 + step) / (10 + step))
        with torch.no_grad():
            for k, p in modules.state_dict().items():
                if p.dtype.is_floating_point:
                    ema[k].mul_(decay).add_(p.detach(), alpha=1 - decay)
        losses.append(float(loss))
        step += 1
        if step % 25 == 0:
            rate = (time.time() - started) / (step - first)
            log(fh, "step %d loss %.4f (mean of 25) %.2f s/step, eta %.1f min" % (
                step, sum(losses[-25:]) / 25, rate, rate * (total - step) / 60))
        if time.time() - last_save > cfg["checkpoint_seconds"] or step in (g["steps"], total):
            save(ckpt, {"model": modules.state_dict(), "ema": ema, "opt": opt.state_dict(), "opt_phase": opt_phase,
                        "step": step})
            last_save = time.time()
    log(fh, "generator done: %d steps, %.1f min this run" % (step, (time.time() - started) / 60))
    with open(os.path.join(work, "generator.done"), "w") as f:
        f.write("%d\n" % step)


def load_generator(cfg, work, use_ema=True):
    vocab = tok.build_vocab()
    text, glyph, transformer, vae = build_generator(cfg, len(vocab))
    modules = torch.nn.ModuleDict({"text": text, "glyph": glyph, "transformer": transformer})
    state = torch.load(os.path.join(work, "generator.pt"))
    load_weights(modules, state["ema"] if use_ema else state["model"])
    for m in (text, glyph, transformer, vae):
        m.eval()
    return (text, glyph, transformer, vae), state["step"]


# --------------------------------------------------------------------------------------- reward

def reward_pixels(images, size):
    """uint8 [H, W, 3] list -> normalised [N, 3, S, S], the Java RewardModel preprocessing."""
    out = []
    for a in images:
        x = torch.from_numpy(a.astype(np.float32) / np.float32(255.0)).permute(2, 0, 1)[None]
        out.append(F.adaptive_avg_pool2d(x, size))
    return (torch.cat(out) - 0.5) / 0.5


def light_augment(arr, rng):
    """Mild noise or blur that a good generated image may carry: not a defect."""
    r = rng.random()
    if r < 0.3:
        nrs = np.random.RandomState(rng.randrange(1 << 30))
        return np.clip(arr.astype(np.float32) + nrs.normal(0, rng.uniform(2, 8), arr.shape), 0, 255).astype(np.uint8)
    if r < 0.45:
        from PIL import Image, ImageFilter
        return np.asarray(Image.fromarray(arr).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.6))))
    return arr


def reward_batch(cfg, vocab, head, step):
    r = cfg["reward"]
    rng = random.Random(cfg["seed"] * 1000033 + step * 7 + {"aesthetic": 1, "alignment": 2, "ocr": 3}[head])
    images, prompts, labels, glyph_targets = [], [], [], []
    for i in range(r["batch"]):
        if head == "ocr":
            scene = sd.sample_scene(rng, text_prob=0.75)
        else:
            scene = sd.sample_scene(rng)
        arr = light_augment(sd.render(scene), rng)
        if head == "aesthetic":
            if i % 2:
                arr, _ = sd.degrade(sd.render(scene), rng)
                labels.append(0.0)
            else:
                labels.append(1.0)
        elif head == "alignment":
            prompts.append(sd.caption(scene, rng.choice(["en", "zh"]), rng.randrange(6)))
            labels.append(sd.scene_labels(scene))
        else:
            target = [b + tok.GLYPH_OFFSET for b in (scene["text"] or "").encode("utf-8")] + [tok.GLYPH_EOS]
            glyph_targets.append((target + [0] * r["max_chars"])[:r["max_chars"]])
        images.append(arr)
    pixels = reward_pixels(images, r["image_size"])
    out = {"pixels": pixels, "labels": torch.tensor(labels, dtype=torch.int64 if head == "alignment" else torch.float32)}
    if prompts:
        out["ids"], out["mask"] = tokens(prompts, vocab, r["text_max_length"])
    if glyph_targets:
        out["targets"] = torch.tensor(glyph_targets, dtype=torch.int64)
    return out


def build_reward(cfg, vocab_size):
    r = cfg["reward"]
    torch.manual_seed(cfg["seed"] + 1)
    return {
        "aesthetic": rw.SceneAestheticHead(),
        "alignment": rw.SceneAttributeAlignment(vocab_size, sd.SLOTS, r["image_size"], max_length=r["text_max_length"]),
        "ocr": rw.SceneTextReader(r["image_size"], r["max_chars"]),
    }


def train_reward(cfg, work):
    torch.set_num_threads(int(os.environ.get("INKFLOW_THREADS", "1")))
    r = cfg["reward"]
    vocab = tok.build_vocab()
    heads = build_reward(cfg, len(vocab))
    fh = open(os.path.join(work, "reward.log"), "a", encoding="utf-8")
    for name in ("aesthetic", "ocr", "alignment"):
        model = heads[name]
        total = r[name + "_steps"]
        ckpt = os.path.join(work, "reward-%s.pt" % name)
        opt = torch.optim.AdamW(model.parameters(), lr=r["lr"], weight_decay=0.01)
        step = 0
        if os.path.exists(ckpt):
            state = torch.load(ckpt)
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            step = state["step"]
        log(fh, "reward %s: %d params, resuming at step %d of %d" % (
            name, sum(p.numel() for p in model.parameters()), step, total))
        last_save = time.time()
        model.train()
        accs = []
        while step < total:
            b = reward_batch(cfg, vocab, name, step)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, r["lr"], 50, 0.05)
            if name == "ocr":
                logits = model(b["pixels"])
                loss = F.cross_entropy(logits.reshape(-1, tok.GLYPH_VOCAB), b["targets"].reshape(-1))
                acc = float((logits.argmax(-1) == b["targets"]).all(dim=1).float().mean())
            elif name == "alignment":
                image = model.split(model.image_logits(b["pixels"]))
                text = model.split(model.text_logits(b["ids"], b["mask"]))
                loss, hits = 0.0, torch.ones(b["labels"].shape[0], dtype=torch.bool)
                for k, (li, lt) in enumerate(zip(image, text)):
                    loss = loss + F.cross_entropy(li, b["labels"][:, k]) + F.cross_entropy(lt, b["labels"][:, k])
                    hits &= (li.argmax(-1) == b["labels"][:, k]) & (lt.argmax(-1) == b["labels"][:, k])
                acc = float(hits.float().mean())
            else:
                p = model(b["pixels"])
                p = p.clamp(1e-6, 1 - 1e-6)
                loss = F.binary_cross_entropy(p, b["labels"])
                acc = float(((p > 0.5).float() == b["labels"]).float().mean())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            accs.append(acc)
            step += 1
            if step % 50 == 0:
                log(fh, "reward %s step %d loss %.4f train acc (50) %.3f" % (name, step, float(loss), sum(accs[-50:]) / 50))
            if time.time() - last_save > cfg["checkpoint_seconds"] or step == total:
                save(ckpt, {"model": model.state_dict(), "opt": opt.state_dict(), "step": step})
                last_save = time.time()
    log(fh, "reward done")
    with open(os.path.join(work, "reward.done"), "w") as f:
        f.write("done\n")


def load_reward(cfg, work):
    vocab = tok.build_vocab()
    heads = build_reward(cfg, len(vocab))
    for name, model in heads.items():
        model.load_state_dict(torch.load(os.path.join(work, "reward-%s.pt" % name))["model"])
        model.eval()
    return heads


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=["generator", "reward", "export"])
    parser.add_argument("--work", default="/tmp/inkflow-mini")
    parser.add_argument("--out", default=os.path.join(REPO, "infra", "models"))
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    cfg = load_config()
    if args.phase == "generator":
        train_generator(cfg, args.work)
    elif args.phase == "reward":
        train_reward(cfg, args.work)
    else:
        import export_mini_packs
        export_mini_packs.export_all(cfg, args.work, args.out)


if __name__ == "__main__":
    main()
