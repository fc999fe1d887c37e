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
channels, ``PixelShuffleDecoder``), the transformer takes 2x2 latent patches (8x8 pixels; ``patch``). It is
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
import pickle
import random
import sys
import time
import unicodedata

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


def merge(base, override):
    out = dict(base)
    for k, v in override.items():
        out[k] = merge(base[k], v) if isinstance(v, dict) and isinstance(base.get(k), dict) else v
    return out


def load_config(work=None, profile=None):
    """The effective configuration: ``WORK/config.json`` where a training run wrote it (so export and
    evaluation see what was trained), else ``mini_packs.json`` with ``profiles[profile]`` merged in."""
    if work and profile is None and os.path.exists(os.path.join(work, "config.json")):
        with open(os.path.join(work, "config.json"), encoding="utf-8") as f:
            return json.load(f)
    with open(os.path.join(HERE, "mini_packs.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    profiles = cfg.pop("profiles", {})
    if profile:
        if profile not in profiles:
            raise SystemExit("no profile %r in mini_packs.json; known: %s" % (profile, ", ".join(sorted(profiles))))
        cfg = merge(cfg, profiles[profile])
        cfg["profile"] = profile
    return cfg


def write_config(cfg, work):
    tmp = os.path.join(work, "config.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)
    os.replace(tmp, os.path.join(work, "config.json"))


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
    gen = torch.Generator().manual_seed(cfg["seed"] * 7919 + step)
    t = torch.sigmoid(torch.randn(x0.shape[0], generator=gen))  # logit-normal timesteps
    noise = torch.randn(x0.shape, generator=gen)
    phase = g["object_phase"]
    weights = object_weights(boxes, w, h, g["pixel_factor"], phase["object_weight"], phase["box_margin"])
    return {"x0": x0, "ids": ids, "mask": mask, "gids": gids, "gmask": gmask, "positions": positions,
            "t": t, "noise": noise, "weights": weights}


class GeneratorBatches(torch.utils.data.IterableDataset):
    """Steps ``first``, ``first + 1``, ... for ``DataLoader`` workers: worker i of n makes the steps
    congruent to i mod n, and the loader takes the workers in turn, so batches arrive in step order
    and each is the same as ``generator_batch`` makes in the training process."""

    def __init__(self, cfg, spec, first):
        self.cfg, self.spec, self.first = cfg, spec, first

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        k, n = (info.id, info.num_workers) if info else (0, 1)
        vocab = tok.build_vocab()
        step = self.first + k
        while True:
            yield generator_batch(self.cfg, vocab, step, self.spec)
            step += n


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


def fit_schedule(cfg, step, seconds_left, seconds_per_step):
    """Scales both phases' step counts, keeping their ratio, so the run ends within ``seconds_left``
    from ``step``. Called before the warm-up ends, when the schedule so far is the same for any count."""
    g = cfg["generator"]
    phase = g["object_phase"]
    planned = g["steps"] + phase["steps"]
    total = step + int(0.95 * seconds_left / seconds_per_step)
    g["steps"] = max(g["warmup"] + 1, round(total * g["steps"] / planned))
    phase["steps"] = max(phase["warmup"] + 1, total - g["steps"])


def train_generator(cfg, work, device="cpu", workers=0, fit_seconds=None):
    torch.set_num_threads(int(os.environ.get("INKFLOW_THREADS", "2")))
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    g = cfg["generator"]
    vocab = tok.build_vocab()
    spec = spec_of(cfg)
    text, glyph, transformer, _ = build_generator(cfg, len(vocab))
    modules = torch.nn.ModuleDict({"text": text, "glyph": glyph, "transformer": transformer}).to(device)
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
        state = torch.load(ckpt, map_location=device)
        no_refiner = load_weights(modules, state["model"])
        ema.update(state["ema"])
        step = state["step"]
        if state.get("opt_phase", 1) == 2:
            opt, opt_phase = optimizer(2), 2
        opt.load_state_dict(state["opt"])
        if fit_seconds:
            log(fh, "resuming: --fit-seconds ignored, the schedule in config.json stands")
            fit_seconds = None
    if fit_seconds and g["warmup"] <= 150:
        raise SystemExit("--fit-seconds measures steps 50-150, inside the warm-up; generator.warmup must exceed 150")
    cfg["trained_on"] = torch.cuda.get_device_name(device) if device.startswith("cuda") else "cpu"
    write_config(cfg, work)
    phase = g["object_phase"]
    log(fh, "generator on %s: %d params, resuming at step %d of %d (%d uniform, then %d object-weighted), batch %d, "
        "patch %d" % (device, sum(p.numel() for p in modules.parameters()), step, g["steps"] + phase["steps"],
                      g["steps"], phase["steps"], g["batch"], g["patch"]))
    if no_refiner:
        log(fh, "checkpoint has no refiner; it starts as the identity")
    if workers:
        batches = iter(torch.utils.data.DataLoader(GeneratorBatches(cfg, spec, step), batch_size=None,
                                                   num_workers=workers, prefetch_factor=4,
                                                   pin_memory=device.startswith("cuda")))
    else:
        batches = iter(GeneratorBatches(cfg, spec, step))
    floats = [k for k, v in ema.items() if v.dtype.is_floating_point]
    ema_list = [ema[k] for k in floats]
    last_save = time.time()
    started = time.time()
    first = step
    mark = None
    loss_sum = torch.zeros((), device=device)
    modules.train()
    while step < g["steps"] + phase["steps"]:
        if step >= g["steps"] and opt_phase == 1:
            log(fh, "step %d: object-weighted phase, refiner trained, fresh optimizer" % step)
            opt, opt_phase = optimizer(2), 2
        # the object weights (made for every step, since --fit-seconds may move the phase boundary after
        # the workers started) travel to the device only in the phase that uses them
        b = {k: v.to(device, non_blocking=True) for k, v in next(batches).items() if k != "weights" or step >= g["steps"]}
        x0, t = b["x0"], b["t"]
        xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * b["noise"]
        context = torch.cat([text(b["ids"], b["mask"]), glyph(b["gids"], b["gmask"])], dim=1)
        context_mask = torch.cat([b["mask"], b["gmask"]], dim=1).float()
        x0_hat = transformer.predict_x0(xt, t * 1000.0, context, context_mask, b["positions"])
        if step < g["steps"]:
            loss = F.mse_loss(x0_hat, x0)
            lr = lr_at(step, g["steps"], g["lr"], g["warmup"], g["final_lr_fraction"])
        else:
            w = b["weights"]
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
            current = modules.state_dict()
            torch._foreach_mul_(ema_list, decay)
            torch._foreach_add_(ema_list, [current[k].detach() for k in floats], alpha=1 - decay)
            loss_sum += loss.detach()
        step += 1
        if fit_seconds and step - first in (50, 150):
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            if step - first == 50:
                mark = time.time()
            else:
                rate = (time.time() - mark) / 100
                fit_schedule(cfg, step, fit_seconds - (time.time() - started), rate)
                write_config(cfg, work)
                log(fh, "fitted to %d s at %.4f s/step: %d uniform + %d object-weighted steps (config.json)" % (
                    fit_seconds, rate, g["steps"], phase["steps"]))
        if step % 25 == 0:
            rate = (time.time() - started) / (step - first)
            log(fh, "step %d loss %.4f (mean of 25) %.3f s/step, eta %.1f min" % (
                step, float(loss_sum) / 25, rate, rate * (g["steps"] + phase["steps"] - step) / 60))
            loss_sum.zero_()
        if time.time() - last_save > cfg["checkpoint_seconds"] or step in (g["steps"], g["steps"] + phase["steps"]):
            save(ckpt, {"model": modules.state_dict(), "ema": ema, "opt": opt.state_dict(), "opt_phase": opt_phase,
                        "step": step})
            last_save = time.time()
    np.savez(os.path.join(work, "generator-ema.npz"), step=np.array(step),
             **{k: v.detach().cpu().numpy() for k, v in ema.items()})
    log(fh, "generator done: %d steps, %.1f min this run" % (step, (time.time() - started) / 60))
    with open(os.path.join(work, "generator.done"), "w") as f:
        f.write("%d\n" % step)


def load_generator(cfg, work, use_ema=True):
    vocab = tok.build_vocab()
    text, glyph, transformer, vae = build_generator(cfg, len(vocab))
    modules = torch.nn.ModuleDict({"text": text, "glyph": glyph, "transformer": transformer})
    path = os.path.join(work, "generator.pt")
    if os.path.exists(path):
        state = torch.load(path, map_location="cpu")
        weights, step = state["ema"] if use_ema else state["model"], state["step"]
    else:  # a run trained elsewhere: its EMA weights alone (``generator-ema.npz``, any torch version)
        if not use_ema:
            raise SystemExit("%s has no generator.pt, only the EMA weights" % work)
        with np.load(os.path.join(work, "generator-ema.npz")) as z:
            weights = {k: torch.from_numpy(z[k]) for k in z.files if k != "step"}
            step = int(z["step"])
    load_weights(modules, weights)
    for m in (text, glyph, transformer, vae):
        m.eval()
    return (text, glyph, transformer, vae), step


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


def reward_batch(cfg, vocab, head, step, pool=None):
    """A batch of rendered scenes; with ``pool`` (``generated_pool``), every second image is a
    generated one instead, with the scene it was drawn from (for OCR, one with text 3 times in 4)."""
    r = cfg["reward"]
    rng = random.Random(cfg["seed"] * 1000033 + step * 7 + {"aesthetic": 1, "alignment": 2, "ocr": 3}[head])
    images, prompts, labels, glyph_targets = [], [], [], []
    for i in range(r["batch"]):
        if pool and i % 2:
            with_text = head == "ocr" and rng.random() < 0.75
            arr, scene = rng.choice(pool["text"] if with_text else pool["all"])
            arr = light_augment(arr, rng)
        else:
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


def generated_pool(cfg, work, fh):
    """Images drawn by the generator trained in ``work``, for the alignment and OCR heads' last steps
    (``reward.generated``): without them the heads know only clean renders, and they misread generated
    images that the checker reads right (glyphs 1 px off, softer edges). Scenes come from their own
    seed, held-out pairs excluded, drawn at the pack's default steps and guidance in a random
    language; only images the checker reads back in full are kept, so their labels are the scene's.
    Cached in ``reward-generated.pkl``."""
    path = os.path.join(work, "reward-generated.pkl")
    if os.path.exists(path):
        with open(path, "rb") as f:
            return pickle.load(f)
    if not os.path.exists(os.path.join(work, "generator.done")):
        raise SystemExit("the reward heads' generated-image steps need the trained generator: run this again once "
                         "%s/generator.done exists" % work)
    g, n = cfg["generator"], cfg["reward"]["generated"]["images"]
    models, _ = load_generator(cfg, work)
    vocab, spec = tok.build_vocab(), spec_of(cfg)
    rng = random.Random(cfg["seed"] * 1000037)
    kept, started = [], time.time()
    for i in range(n):
        scene = sd.sample_scene(rng, text_prob=0.5)
        prompt = sd.caption(scene, rng.choice(["en", "zh"]), rng.randrange(6))
        glyphs = [scene["text"]] if scene["text"] else []
        pixels = sampler.generate(models, vocab, spec, prompt, "", glyphs, scene["width"], scene["height"],
                                  g["default_steps"], g["default_guidance"], cfg["seed"] + 17 * i)["pixels"]
        if sd.attributes_right(scene, sd.check(pixels, scene))[1]:
            kept.append((pixels, scene))
        if (i + 1) % 100 == 0:
            log(fh, "generated %d of %d images, %d kept, %.2f s/image" % (i + 1, n, len(kept), (time.time() - started) / (i + 1)))
    pool = {"all": kept, "text": [k for k in kept if k[1]["text"]]}
    with open(path + ".tmp", "wb") as f:
        pickle.dump(pool, f)
    os.replace(path + ".tmp", path)
    return pool


def as_scored(prompt):
    """A prompt as the scoring stream sees it: the PE stream NFKC-normalises prompts (PromptText.java),
    so a Chinese caption's full-width commas arrive as ASCII ones."""
    return unicodedata.normalize("NFKC", prompt)


def caption_batch(cfg, vocab, step):
    """A batch for the alignment head's caption side (``reward.caption_steps``), which is trained on
    captions alone, after the image side: they cost nothing to make, so batches are large. Held-out
    pairs are excluded, and every second caption is NFKC-normalised as the PE stream normalises
    prompts before they are scored (a Chinese caption's full-width commas arrive as ASCII ones). The
    image side is not run, so its weights and batch-norm statistics stay as they are (AdamW skips
    parameters without a gradient)."""
    rng = random.Random(cfg["seed"] * 1000039 + step)
    prompts, labels = [], []
    for i in range(cfg["reward"]["caption_steps"]["batch"]):
        scene = sd.sample_scene(rng)
        caption = sd.caption(scene, rng.choice(["en", "zh"]), rng.randrange(6))
        prompts.append(as_scored(caption) if i % 2 else caption)
        labels.append(sd.scene_labels(scene))
    ids, mask = tokens(prompts, vocab, cfg["reward"]["text_max_length"])
    return ids, mask, torch.tensor(labels, dtype=torch.int64)


def slot_loss(slot_logits, labels):
    """Cross-entropy summed over the alignment head's slots, and the share of rows with every slot right."""
    loss, hits = 0.0, torch.ones(labels.shape[0], dtype=torch.bool)
    for k, logits in enumerate(slot_logits):
        loss = loss + F.cross_entropy(logits, labels[:, k])
        hits &= logits.argmax(-1) == labels[:, k]
    return loss, float(hits.float().mean())


def train_reward(cfg, work):
    torch.set_num_threads(int(os.environ.get("INKFLOW_THREADS", "1")))
    r = cfg["reward"]
    vocab = tok.build_vocab()
    heads = build_reward(cfg, len(vocab))
    fh = open(os.path.join(work, "reward.log"), "a", encoding="utf-8")
    for name in ("aesthetic", "ocr", "alignment"):
        model = heads[name]
        base = r[name + "_steps"]
        gen = r.get("generated", {})
        text_from = base + gen.get(name + "_steps", 0)
        total = text_from + (r["caption_steps"]["steps"] if name == "alignment" and "caption_steps" in r else 0)
        pool = None
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
            if step >= text_from:  # the alignment head's caption side
                if not accs or step == text_from:
                    log(fh, "reward alignment: steps %d-%d train the caption side alone" % (text_from, total))
                ids, mask, labels = caption_batch(cfg, vocab, step)
                lr = lr_at(step - text_from, total - text_from, r["caption_steps"]["lr"], 20, 0.05)
                loss, acc = slot_loss(model.split(model.text_logits(ids, mask)), labels)
            else:
                if step >= base and pool is None:
                    pool = generated_pool(cfg, work, fh)
                    log(fh, "reward %s: steps %d-%d mix in %d generated images (%d with text)" % (
                        name, base, text_from, len(pool["all"]), len(pool["text"])))
                b = reward_batch(cfg, vocab, name, step, pool)
                lr = (lr_at(step, base, r["lr"], 50, 0.05) if step < base else
                      lr_at(step - base, text_from - base, gen["lr"], 20, 0.05))
                if name == "ocr":
                    logits = model(b["pixels"])
                    loss = F.cross_entropy(logits.reshape(-1, tok.GLYPH_VOCAB), b["targets"].reshape(-1))
                    acc = float((logits.argmax(-1) == b["targets"]).all(dim=1).float().mean())
                elif name == "alignment":  # the image side
                    loss, acc = slot_loss(model.split(model.image_logits(b["pixels"])), b["labels"])
                else:
                    p = model(b["pixels"])
                    p = p.clamp(1e-6, 1 - 1e-6)
                    loss = F.binary_cross_entropy(p, b["labels"])
                    acc = float(((p > 0.5).float() == b["labels"]).float().mean())
            for group in opt.param_groups:
                group["lr"] = lr
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
    parser.add_argument("--profile", help="merge mini_packs.json's profiles[PROFILE] into the configuration")
    parser.add_argument("--device", default="cpu", help="generator training: cpu, cuda, ...")
    parser.add_argument("--workers", type=int, default=0, help="generator training: data-making processes")
    parser.add_argument("--fit-seconds", type=float,
                        help="generator training: scale both phases' step counts so the run ends within this "
                             "time, from the speed of steps 50-150; config.json records the counts chosen")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    cfg = load_config(args.work, args.profile)
    if args.phase == "generator":
        train_generator(cfg, args.work, args.device, args.workers, args.fit_seconds)
    elif args.phase == "reward":
        train_reward(cfg, args.work)
    else:
        import export_mini_packs
        export_mini_packs.export_all(cfg, args.work, args.out)


if __name__ == "__main__":
    main()
