"""Export the trained mini packs (``train_mini_packs.py export``) in the pack format of inference/README.md.

Writes infra/models/mini-mmdit-flow/ (EMA generator weights) and infra/models/mini-reward/, each with
golden tensors (every graph's inputs and PyTorch outputs, end-to-end cases) for the Java golden tests,
and infra/models/mini-mmdit-flow/catalog.csv, a bilingual demo catalogue of held-out scenes.
"""

import csv
import os
import random
import shutil

import numpy as np
import torch

import synthetic_data as sd
import train_mini_packs as tm
from inkflow_models import packio, sampler
from inkflow_models import tokenizer as tok
from make_tiny_packs import graph_entry, lcs, levenshtein, ocr_decode

GENERATOR_ID = "mini-mmdit-flow"
REWARD_ID = "mini-reward"
VERSION = "1.0.0"

PIPELINE_CASES = [
    {"name": "english-square-cfg",
     "prompt": "a red circle on the left of a blue background, with the word \"SALE\"",
     "negativePrompt": "", "glyphTexts": ["SALE"], "width": 48, "height": 48,
     "steps": 16, "guidance": 4.0, "seed": 42},
    {"name": "chinese-landscape-cfg", "prompt": "黑色背景，左边是黄色圆环，右边是白色三角形，写着“福”",
     "negativePrompt": "", "glyphTexts": ["福"], "width": 64, "height": 48,
     "steps": 8, "guidance": 4.0, "seed": 7},
]


def vocabulary_words():
    """The words the pack was trained on: the PE stream may only rewrite with these."""
    words = set()
    rng = random.Random(0)
    for _ in range(3000):
        scene = sd.sample_scene(rng, held_out="any")
        for lang in ("en", "zh"):
            for variant in range(6):
                text = sd.caption(scene, lang, variant)
                if scene["text"]:
                    text = text.replace(scene["text"], " ")
                for piece in tok.pre_tokenize(text):
                    if piece.isalpha() and piece.isascii():
                        words.add(piece)
    zh = [v[1] for v in sd.PALETTE.values()] + list(sd.SHAPES.values()) + list(sd.POSITIONS.values())
    zh += ["背景", "有", "一个", "是", "在", "写着", "文字"]
    return sorted(words) + zh


def export_generator(cfg, work, root):
    spec = tm.spec_of(cfg)
    g = cfg["generator"]
    vocab = tok.build_vocab()
    models, step = tm.load_generator(cfg, work)
    text, glyph, transformer, vae = models
    out = os.path.join(root, GENERATOR_ID)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tok.write_tokenizer(os.path.join(out, "tokenizer.json"), vocab)
    tl, gl, c = spec["text_max_length"], spec["glyph_max_length"], spec["latent_channels"]
    b2 = torch.zeros(2, tl, dtype=torch.int64)
    g2 = torch.zeros(2, gl, dtype=torch.int64)
    onnx_models = {}
    onnx_models["textEncoder"] = ("text_encoder.onnx", packio.export(
        text, (b2, b2), os.path.join(out, "text_encoder.onnx"), ["input_ids", "attention_mask"], ["hidden_states"],
        {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "hidden_states": {0: "batch"}},
        {"hidden_states": ["batch", tl, g["text_dim"]]}))
    onnx_models["glyphEncoder"] = ("glyph_encoder.onnx", packio.export(
        glyph, (g2, g2), os.path.join(out, "glyph_encoder.onnx"), ["glyph_ids", "glyph_mask"], ["glyph_states"],
        {"glyph_ids": {0: "batch"}, "glyph_mask": {0: "batch"}, "glyph_states": {0: "batch"}},
        {"glyph_states": ["batch", gl, g["text_dim"]]}))
    ctx = tl + gl
    positions = torch.from_numpy(sampler.image_positions(48, 64, spec["vae_scale"], spec["patch"], spec["base_resolution"]))
    onnx_models["transformer"] = ("transformer.onnx", packio.export(
        transformer, (torch.randn(2, c, 12, 16), torch.tensor([500.0, 500.0]), torch.randn(2, ctx, g["text_dim"]),
                      torch.ones(2, ctx), positions),
        os.path.join(out, "transformer.onnx"),
        ["latents", "timestep", "context", "context_mask", "image_positions"], ["velocity"],
        {"latents": {0: "batch", 2: "latent_height", 3: "latent_width"}, "timestep": {0: "batch"},
         "context": {0: "batch"}, "context_mask": {0: "batch"}, "image_positions": {0: "image_tokens"},
         "velocity": {0: "batch", 2: "latent_height", 3: "latent_width"}}))
    onnx_models["vaeDecoder"] = ("vae_decoder.onnx", packio.export(
        vae, (torch.randn(1, c, 12, 12),), os.path.join(out, "vae_decoder.onnx"), ["latents"], ["image"],
        {"latents": {0: "batch", 2: "latent_height", 3: "latent_width"},
         "image": {0: "batch", 2: "height", 3: "width"}}))
    graphs = {}
    for key, (file, model) in onnx_models.items():
        graphs[key] = graph_entry(model, file)
        graphs[key]["sha256"] = packio.sha256(os.path.join(out, file))
    packio.write_json(os.path.join(out, "pack.json"), {
        "format": 1,
        "id": GENERATOR_ID,
        "version": VERSION,
        "family": "mmdit-flow",
        "description": ("Mini bilingual mmdit-flow pack trained on synthetic scenes (%d steps): a background "
                        "colour, one or two shapes (circle, square, triangle, diamond, ring; left, center or "
                        "right) and optional text (SALE, NEW, OFF, 50%%, 福, 春, 中秋, 新). Pixel space: the "
                        "decoder is a fixed 4x4 depth-to-space." % step),
        "precision": "fp32",
        "tokenizer": {"type": "hf-tokenizer-json", "file": "tokenizer.json", "maxLength": tl, "padId": 0},
        "glyph": {"type": "byt5", "maxLength": gl},
        "latent": {"channels": c, "vaeScaleFactor": spec["vae_scale"], "patchSize": spec["patch"],
                   "scalingFactor": spec["scaling_factor"], "shiftFactor": spec["shift_factor"]},
        "baseResolution": spec["base_resolution"],
        "buckets": [{"width": w, "height": h} for w, h in sd.BUCKETS],
        "scheduler": {"type": "flow-match-euler", "defaultSteps": g["default_steps"], "minSteps": 1,
                      "maxSteps": 50, "shift": spec["shift"], "defaultGuidance": g["default_guidance"],
                      "minGuidance": 1.0, "maxGuidance": 12.0},
        "promptRewrite": {"policy": "vocabulary", "vocabulary": vocabulary_words()},
        "graphs": graphs,
    })

    golden = packio.GoldenWriter(out)
    rs = np.random.RandomState(99)
    with torch.no_grad():
        rows = [tok.pad(tok.encode(p, vocab), tl) for p in (PIPELINE_CASES[0]["prompt"], PIPELINE_CASES[1]["prompt"])]
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        mask = np.array([r[1] for r in rows], dtype=np.int64)
        golden.graph("textEncoder", [("input_ids", ids, np.int64), ("attention_mask", mask, np.int64)],
                     [("hidden_states", text(torch.from_numpy(ids), torch.from_numpy(mask)).numpy(), np.float32)])
        grows = [tok.glyph_encode(t, gl) for t in (["SALE"], ["中秋"], [])]
        gids = np.array([r[0] for r in grows], dtype=np.int64)
        gmask = np.array([r[1] for r in grows], dtype=np.int64)
        golden.graph("glyphEncoder", [("glyph_ids", gids, np.int64), ("glyph_mask", gmask, np.int64)],
                     [("glyph_states", glyph(torch.from_numpy(gids), torch.from_numpy(gmask)).numpy(), np.float32)])
        cmask = np.ones((2, ctx), dtype=np.float32)
        cmask[0, 18:tl] = 0
        cmask[1, 10:] = 0
        t_in = [rs.randn(2, c, 12, 16).astype(np.float32), np.array([937.5, 250.0], dtype=np.float32),
                rs.randn(2, ctx, g["text_dim"]).astype(np.float32), cmask, positions.numpy()]
        names = ["latents", "timestep", "context", "context_mask", "image_positions"]
        vel = transformer(*[torch.from_numpy(a) for a in t_in]).numpy()
        golden.graph("transformer", [(n, a, np.float32) for n, a in zip(names, t_in)], [("velocity", vel, np.float32)])
        v_in = rs.randn(2, c, 12, 12).astype(np.float32)
        golden.graph("vaeDecoder", [("latents", v_in, np.float32)],
                     [("image", vae(torch.from_numpy(v_in)).numpy(), np.float32)])
    cases = []
    for case in PIPELINE_CASES:
        result = sampler.generate(models, vocab, spec, case["prompt"], case["negativePrompt"], case["glyphTexts"],
                                  case["width"], case["height"], case["steps"], case["guidance"], case["seed"])
        prefix = "pipeline-" + case["name"]
        entry = dict(case)
        entry["tensors"] = [
            golden.tensor(prefix, "input_ids", result["input_ids"], np.int64),
            golden.tensor(prefix, "attention_mask", result["attention_mask"], np.int64),
            golden.tensor(prefix, "glyph_ids", result["glyph_ids"], np.int64),
            golden.tensor(prefix, "glyph_mask", result["glyph_mask"], np.int64),
            golden.tensor(prefix, "noise", result["noise"], np.float32),
            golden.tensor(prefix, "latents", result["latents"], np.float32),
            golden.tensor(prefix, "pixels", result["pixels"], np.uint8),
        ]
        cases.append(entry)
    golden.case("pipeline", cases)
    golden.case("tokenizer", [{"text": p, "ids": tok.encode(p, vocab)} for p in
                              [c_["prompt"] for c_ in PIPELINE_CASES] + ["a pink ring in the middle, on a green background"]])
    golden.write()
    write_catalogue(os.path.join(out, "catalog.csv"))
    return out


def write_catalogue(path):
    """A bilingual demo catalogue: held-out scenes (seeded), English and Chinese, every bucket."""
    rng = random.Random(20261125)
    rows = []
    for i in range(24):
        bucket = sd.BUCKETS[i % len(sd.BUCKETS)]
        held = "only" if i % 6 == 5 else "exclude"
        scene = sd.sample_scene(rng, bucket, text_prob=0.4, held_out=held)
        lang = "en" if i % 2 == 0 else "zh"
        rows.append({
            "sku": "SHAPE-%03d" % (i + 1),
            "prompt": sd.caption(scene, lang, rng.randrange(6)),
            "render_text": scene["text"] or "",
            "width": bucket[0],
            "height": bucket[1],
            "num_images": 2,
            "category": "shapes-text" if scene["text"] else "shapes",
            "language": lang,
        })
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


VALIDATION_SEED = 424242  # not one of the evaluation seeds


@torch.no_grad()
def calibrate_thresholds(cfg, heads, n=400):
    """The alignment and overall thresholds, chosen on a validation set (its own seed) of clean
    renders: half with their caption, a quarter with one attribute changed, a quarter degraded, the
    captions as the scoring stream sees them (``as_scored``); each threshold maximises that set's
    balanced accuracy (ties: the lower threshold). The aesthetic and text thresholds stay at the
    committed 0.5."""
    r = cfg["reward"]
    vocab = tok.build_vocab()
    rng = random.Random(VALIDATION_SEED)
    images, prompts, glyphs, bad_align, bad = [], [], [], [], []
    for i in range(n):
        scene = sd.sample_scene(rng)
        arr = sd.render(scene)
        kind = ("good", "good", "mismatch", "degraded")[i % 4]
        shown = sd.perturb(scene, rng) if kind == "mismatch" else scene
        if kind == "degraded":
            arr, _ = sd.degrade(arr, rng)
        images.append(arr)
        prompts.append(sd.caption(shown, rng.choice(["en", "zh"]), rng.randrange(6)))
        glyphs.append(shown["text"])
        bad_align.append(kind == "mismatch")
        bad.append(kind != "good")
    px = tm.reward_pixels(images, r["image_size"])
    ids, mask = tm.tokens([tm.as_scored(p) for p in prompts], vocab, r["text_max_length"])
    aes = heads["aesthetic"](px).numpy()
    ali = heads["alignment"](px, ids, mask).numpy()
    logits = heads["ocr"](px).numpy()
    w = r["weights"]
    overall = []
    for j in range(n):
        total = w["aesthetic"] * aes[j] + w["alignment"] * ali[j]
        weight = w["aesthetic"] + w["alignment"]
        if glyphs[j]:
            rec = ocr_decode(logits[j])
            total += w["textRendering"] * max(0.0, 1.0 - levenshtein(rec, glyphs[j]) / len(glyphs[j]))
            weight += w["textRendering"]
        overall.append(total / weight)

    def best(scores, truth_bad, keep):
        scores, truth_bad, keep = np.array(scores), np.array(truth_bad), np.array(keep)
        grid = [round(x, 3) for x in np.concatenate([np.arange(0.005, 0.1, 0.005), np.arange(0.1, 0.95, 0.025)])]
        top, arg = -1.0, None
        for t in grid:
            pred = scores[keep] < t
            tb = truth_bad[keep]
            ba = 0.5 * ((pred & tb).sum() / max(1, tb.sum()) + (~pred & ~tb).sum() / max(1, (~tb).sum()))
            if ba > top + 1e-9:
                top, arg = ba, t
        return arg, top

    not_degraded = [not (b and not m) for b, m in zip(bad, bad_align)]
    t_align, ba_align = best(ali, bad_align, not_degraded)
    t_overall, ba_overall = best(overall, bad, [True] * n)
    thresholds = dict(r["thresholds"])
    thresholds["alignment"] = t_align
    thresholds["overall"] = t_overall
    print("calibrated on validation: alignment %.3f (balanced accuracy %.3f), overall %.3f (%.3f)" % (
        t_align, ba_align, t_overall, ba_overall))
    return thresholds


def export_reward(cfg, work, root, heads=None, thresholds=None, version=VERSION):
    """Writes the reward pack from ``heads`` (default: the checkpoints in ``work``); ``thresholds``
    default to those ``calibrate_thresholds`` chooses on rendered scenes (``sharpen_reward.py`` passes
    the ones it chose on generated images)."""
    r = cfg["reward"]
    vocab = tok.build_vocab()
    heads = heads if heads is not None else tm.load_reward(cfg, work)
    thresholds = thresholds if thresholds is not None else calibrate_thresholds(cfg, heads)
    out = os.path.join(root, REWARD_ID)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tok.write_tokenizer(os.path.join(out, "tokenizer.json"), vocab)
    s, tl = r["image_size"], r["text_max_length"]
    pixels = torch.zeros(2, 3, s, s)
    ids = torch.zeros(2, tl, dtype=torch.int64)
    models = {
        "aesthetic": ("aesthetic.onnx", packio.export(
            heads["aesthetic"], (pixels,), os.path.join(out, "aesthetic.onnx"), ["pixels"], ["aesthetic"],
            {"pixels": {0: "batch"}, "aesthetic": {0: "batch"}})),
        "alignment": ("alignment.onnx", packio.export(
            heads["alignment"], (pixels, ids, ids), os.path.join(out, "alignment.onnx"),
            ["pixels", "input_ids", "attention_mask"], ["alignment"],
            {"pixels": {0: "batch"}, "input_ids": {0: "batch"}, "attention_mask": {0: "batch"},
             "alignment": {0: "batch"}})),
        "textRendering": ("text_rendering.onnx", packio.export(
            heads["ocr"], (pixels,), os.path.join(out, "text_rendering.onnx"), ["pixels"], ["char_logits"],
            {"pixels": {0: "batch"}, "char_logits": {0: "batch"}},
            {"char_logits": ["batch", r["max_chars"], tok.GLYPH_VOCAB]})),
    }
    graphs = {}
    for key, (file, model) in models.items():
        graphs[key] = graph_entry(model, file)
        graphs[key]["sha256"] = packio.sha256(os.path.join(out, file))
    packio.write_json(os.path.join(out, "pack.json"), {
        "format": 1,
        "id": REWARD_ID,
        "version": version,
        "family": "reward",
        "description": ("Mini reward pack trained on the synthetic scenes of mini-mmdit-flow: aesthetic (clean vs "
                        "blurred, noisy, JPEG, colour-cast or blocky copies), alignment (image shows the "
                        "caption, English or Chinese) and an OCR head for the scene texts."),
        "precision": "fp32",
        "tokenizer": {"type": "hf-tokenizer-json", "file": "tokenizer.json", "maxLength": tl, "padId": 0},
        "image": {"size": s, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
        "textRendering": {"decoder": "byt5-greedy", "maxChars": r["max_chars"]},
        "weights": r["weights"],
        "thresholds": thresholds,
        "graphs": graphs,
    })

    golden = packio.GoldenWriter(out)
    rng = random.Random(5)
    scene = sd.sample_scene(rng, (64, 48), text_prob=1.0)
    scene["text"] = "SALE"
    image = sd.render(scene)
    other = sd.render(sd.sample_scene(rng, (48, 48), text_prob=0.0))
    px = tm.reward_pixels([image, other, image], s).numpy()
    prompts = [sd.caption(scene, "en", 0), sd.caption(scene, "zh", 0), ""]
    rows = [tok.pad(tok.encode(p, vocab), tl) for p in prompts]
    id_rows = np.array([x[0] for x in rows], dtype=np.int64)
    mask_rows = np.array([x[1] for x in rows], dtype=np.int64)
    w = r["weights"]
    with torch.no_grad():
        tp = torch.from_numpy(px)
        golden.graph("aesthetic", [("pixels", px, np.float32)],
                     [("aesthetic", heads["aesthetic"](tp).numpy(), np.float32)])
        golden.graph("alignment", [("pixels", px, np.float32), ("input_ids", id_rows, np.int64),
                                   ("attention_mask", mask_rows, np.int64)],
                     [("alignment", heads["alignment"](tp, torch.from_numpy(id_rows), torch.from_numpy(mask_rows)).numpy(), np.float32)])
        golden.graph("textRendering", [("pixels", px, np.float32)],
                     [("char_logits", heads["ocr"](tp).numpy(), np.float32)])
        prompt, original, glyphs = sd.caption(scene, "en", 1), sd.caption(scene, "zh", 1), ["SALE"]
        pre = tm.reward_pixels([image], s)
        a_score = float(heads["aesthetic"](pre)[0])
        prow = [tok.pad(tok.encode(p, vocab), tl) for p in (prompt, original)]
        al = heads["alignment"](pre.repeat(2, 1, 1, 1), torch.tensor([x[0] for x in prow]),
                                torch.tensor([x[1] for x in prow]))
        recognized = ocr_decode(heads["ocr"](pre)[0].numpy())
        target = " ".join(glyphs)
        r_a = max(0.0, 1.0 - levenshtein(recognized, target) / len(target))
        r_h = lcs(recognized, target) / len(target)
        align = min(float(al[0]), float(al[1]))
        overall = (w["aesthetic"] * a_score + w["alignment"] * align + w["textRendering"] * r_a) / sum(w.values())
        k = 11
        mismatched = sd.perturb(scene, random.Random(k))
        while mismatched["text"] != "SALE":  # a wrong object or background, the right text
            k += 1
            mismatched = sd.perturb(scene, random.Random(k))
        mismatch_prompt = sd.caption(mismatched, "en", 0)
        mrow = tok.pad(tok.encode(mismatch_prompt, vocab), tl)
        mismatch_alignment = float(heads["alignment"](pre, torch.tensor([mrow[0]]), torch.tensor([mrow[1]]))[0])
    golden.case("score", {
        "image": golden.tensor("score", "image", image, np.uint8),
        "pixels": golden.tensor("score", "pixels", pre.numpy(), np.float32),
        "prompt": prompt, "originalPrompt": original, "glyphTexts": glyphs,
        "aesthetic": a_score, "alignment": float(al[0]), "alignmentOriginal": float(al[1]),
        "recognized": recognized, "textAccuracy": r_a, "textHitRate": r_h, "overall": overall,
        "mismatchedPrompt": mismatch_prompt, "mismatchedAlignment": mismatch_alignment,
    })
    golden.write()
    return out


def export_all(cfg, work, root):
    torch.set_num_threads(1)
    if any(os.path.exists(os.path.join(work, f)) for f in ("generator.pt", "generator-ema.npz")):
        print("wrote", export_generator(cfg, work, root))
    if all(os.path.exists(os.path.join(work, "reward-%s.pt" % n)) for n in ("aesthetic", "alignment", "ocr")):
        print("wrote", export_reward(cfg, work, root))
