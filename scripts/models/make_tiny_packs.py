"""Write the tiny random-weight packs used by tests and the demo.

    /usr/bin/python3 scripts/models/make_tiny_packs.py [--out infra/models]

Writes, byte-reproducibly (fixed seeds, deterministic export):
  infra/models/tiny-mmdit-flow/       mmdit-flow pack, fp32
  infra/models/tiny-mmdit-flow-fp16/  the same weights with fp16 I/O and fp16-stored weights
  infra/models/tiny-reward/           reward pack (aesthetic, alignment, OCR text rendering)
  inference/src/main/resources/io/inkflow/inference/runtime/cuda-probe.onnx
  bench/src/main/resources/io/inkflow/bench/inference/null-transformer.onnx
  inference/src/test/resources/io/inkflow/inference/bad-graphs/latents-rank3.onnx
each pack with golden input/output tensors for every graph and end-to-end cases.
"""

import argparse
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inkflow_models import packio, reward, sampler  # noqa: E402
from inkflow_models import tokenizer as tok  # noqa: E402
from inkflow_models.mmdit import GlyphEncoder, MMDiT, TextEncoder, VaeDecoder  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

SPEC = {
    "text_max_length": 64,
    "glyph_max_length": 48,
    "latent_channels": 4,
    "vae_scale": 8,
    "patch": 2,
    "base_resolution": 512,
    "shift": 3.0,
    "scaling_factor": 1.5305,
    "shift_factor": 0.0609,
    "dim": 64,
}

# (width, height): square, 3:2 / 2:3 and 4:3 / 3:4 up to 768 px on the long side.
BUCKETS = [
    (256, 256), (384, 384), (512, 512), (768, 768),
    (384, 256), (256, 384),
    (576, 384), (384, 576),
    (768, 512), (512, 768),
    (512, 384), (384, 512),
]

TOKENIZER_PROMPTS = [
    "a red circle on the left of a blue background, with the word \"SALE\"",
    "蓝色背景左侧有一个红色圆形，写着“SALE”",
    "Premium Coffee Mug, 50% OFF today!",
    "中秋快乐 月饼 礼盒 photo, studio lighting",
    "Café crème brûlée",
    "",
    "unknownword xyzzy 龘",
]


def seeded(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


def scale_output(module, layer, gain):
    with torch.no_grad():
        layer.weight.mul_(gain)
        layer.bias.mul_(gain)
    return module


def build_models(vocab_size):
    seeded(1234)
    text = TextEncoder(vocab_size, dim=SPEC["dim"], max_length=SPEC["text_max_length"]).eval()
    glyph = GlyphEncoder(tok.GLYPH_VOCAB, dim=48, out_dim=SPEC["dim"], max_length=SPEC["glyph_max_length"]).eval()
    transformer = MMDiT(SPEC["latent_channels"], SPEC["patch"], SPEC["dim"], SPEC["dim"]).eval()
    vae = VaeDecoder(SPEC["latent_channels"]).eval()
    # Random weights: give the outputs a useful spread (velocity ~ unit scale, pixels spanning the range).
    scale_output(transformer, transformer.final, 3.0)
    scale_output(vae, vae.conv_out, 4.0)
    return text, glyph, transformer, vae


def graph_entry(model, file):
    entry = {"file": file}
    entry.update(packio.io_spec(model))
    return entry


def export_mmdit(models, out_dir):
    text, glyph, transformer, vae = models
    b2 = torch.zeros(2, SPEC["text_max_length"], dtype=torch.int64)
    g2 = torch.zeros(2, SPEC["glyph_max_length"], dtype=torch.int64)
    onnx_models = {}
    onnx_models["textEncoder"] = ("text_encoder.onnx", packio.export(
        text, (b2, b2), os.path.join(out_dir, "text_encoder.onnx"),
        ["input_ids", "attention_mask"], ["hidden_states"],
        {"input_ids": {0: "batch"}, "attention_mask": {0: "batch"}, "hidden_states": {0: "batch"}},
        {"hidden_states": ["batch", SPEC["text_max_length"], SPEC["dim"]]}))
    onnx_models["glyphEncoder"] = ("glyph_encoder.onnx", packio.export(
        glyph, (g2, g2), os.path.join(out_dir, "glyph_encoder.onnx"),
        ["glyph_ids", "glyph_mask"], ["glyph_states"],
        {"glyph_ids": {0: "batch"}, "glyph_mask": {0: "batch"}, "glyph_states": {0: "batch"}},
        {"glyph_states": ["batch", SPEC["glyph_max_length"], SPEC["dim"]]}))
    ctx_len = SPEC["text_max_length"] + SPEC["glyph_max_length"]
    latents = torch.randn(2, SPEC["latent_channels"], 32, 48)
    positions = torch.from_numpy(sampler.image_positions(256, 384, 8, 2, 512))
    onnx_models["transformer"] = ("transformer.onnx", packio.export(
        transformer,
        (latents, torch.tensor([500.0, 500.0]), torch.randn(2, ctx_len, SPEC["dim"]), torch.ones(2, ctx_len), positions),
        os.path.join(out_dir, "transformer.onnx"),
        ["latents", "timestep", "context", "context_mask", "image_positions"], ["velocity"],
        {"latents": {0: "batch", 2: "latent_height", 3: "latent_width"}, "timestep": {0: "batch"},
         "context": {0: "batch"}, "context_mask": {0: "batch"}, "image_positions": {0: "image_tokens"},
         "velocity": {0: "batch", 2: "latent_height", 3: "latent_width"}}))
    onnx_models["vaeDecoder"] = ("vae_decoder.onnx", packio.export(
        vae, (torch.randn(1, SPEC["latent_channels"], 16, 16),), os.path.join(out_dir, "vae_decoder.onnx"),
        ["latents"], ["image"],
        {"latents": {0: "batch", 2: "latent_height", 3: "latent_width"},
         "image": {0: "batch", 2: "height", 3: "width"}}))
    return onnx_models


def mmdit_manifest(pack_id, precision, graphs, description):
    return {
        "format": 1,
        "id": pack_id,
        "version": "0.1.0",
        "family": "mmdit-flow",
        "description": description,
        "precision": precision,
        "tokenizer": {"type": "hf-tokenizer-json", "file": "tokenizer.json",
                      "maxLength": SPEC["text_max_length"], "padId": 0},
        "glyph": {"type": "byt5", "maxLength": SPEC["glyph_max_length"]},
        "latent": {"channels": SPEC["latent_channels"], "vaeScaleFactor": SPEC["vae_scale"],
                   "patchSize": SPEC["patch"], "scalingFactor": SPEC["scaling_factor"],
                   "shiftFactor": SPEC["shift_factor"]},
        "baseResolution": SPEC["base_resolution"],
        "buckets": [{"width": w, "height": h} for w, h in BUCKETS],
        "scheduler": {"type": "flow-match-euler", "defaultSteps": 6, "minSteps": 1, "maxSteps": 50,
                      "shift": SPEC["shift"], "defaultGuidance": 4.5, "minGuidance": 1.0,
                      "maxGuidance": 20.0},
        "promptRewrite": {"policy": "on", "vocabulary": []},
        "graphs": graphs,
    }


def golden_inputs(vocab):
    rs = np.random.RandomState(99)
    ids, masks = [], []
    for prompt in TOKENIZER_PROMPTS[:2]:
        i, m = tok.pad(tok.encode(prompt, vocab), SPEC["text_max_length"])
        ids.append(i)
        masks.append(m)
    gids, gmasks = [], []
    for texts in (["SALE 50% OFF"], ["中秋快乐", "福"], []):
        i, m = tok.glyph_encode(texts, SPEC["glyph_max_length"])
        gids.append(i)
        gmasks.append(m)
    ctx_len = SPEC["text_max_length"] + SPEC["glyph_max_length"]
    ctx_mask = np.ones((2, ctx_len), dtype=np.float32)
    ctx_mask[0, 20:SPEC["text_max_length"]] = 0
    ctx_mask[1, 10:] = 0
    return {
        "text": (np.array(ids, dtype=np.int64), np.array(masks, dtype=np.int64)),
        "glyph": (np.array(gids, dtype=np.int64), np.array(gmasks, dtype=np.int64)),
        "transformer": (
            rs.randn(2, SPEC["latent_channels"], 32, 48).astype(np.float32),
            np.array([937.5, 250.0], dtype=np.float32),
            rs.randn(2, ctx_len, SPEC["dim"]).astype(np.float32),
            ctx_mask,
            sampler.image_positions(256, 384, 8, 2, 512),
        ),
        "vae": rs.randn(2, SPEC["latent_channels"], 16, 24).astype(np.float32),
    }


@torch.no_grad()
def write_graph_goldens(golden, models, inputs, float_type):
    text, glyph, transformer, vae = models
    f = float_type

    def cast(a):
        return np.asarray(a, dtype=np.float32).astype(f).astype(np.float32)

    ids, mask = inputs["text"]
    out = text(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    golden.graph("textEncoder", [("input_ids", ids, np.int64), ("attention_mask", mask, np.int64)],
                 [("hidden_states", out, f)])
    gids, gmask = inputs["glyph"]
    out = glyph(torch.from_numpy(gids), torch.from_numpy(gmask)).numpy()
    golden.graph("glyphEncoder", [("glyph_ids", gids, np.int64), ("glyph_mask", gmask, np.int64)],
                 [("glyph_states", out, f)])
    t_in = [cast(a) for a in inputs["transformer"]]
    out = transformer(*[torch.from_numpy(a) for a in t_in]).numpy()
    names = ["latents", "timestep", "context", "context_mask", "image_positions"]
    golden.graph("transformer", [(n, a, f) for n, a in zip(names, t_in)], [("velocity", out, f)])
    v_in = cast(inputs["vae"])
    out = vae(torch.from_numpy(v_in)).numpy()
    golden.graph("vaeDecoder", [("latents", v_in, f)], [("image", out, f)])


PIPELINE_CASES = [
    {"name": "english-portrait-cfg",
     "prompt": "a red circle on the left of a blue background, with the word \"SALE\"",
     "negativePrompt": "blurry, low quality", "glyphTexts": ["SALE"], "width": 256, "height": 384,
     "steps": 2, "guidance": 4.5, "seed": 42},
    {"name": "chinese-square-no-cfg", "prompt": "蓝色背景左侧有一个红色圆形，写着“福”",
     "negativePrompt": "", "glyphTexts": ["福"], "width": 256, "height": 256,
     "steps": 3, "guidance": 1.0, "seed": 7},
]


def write_pipeline_goldens(golden, models, vocab):
    cases = []
    for case in PIPELINE_CASES:
        result = sampler.generate(models, vocab, SPEC, case["prompt"], case["negativePrompt"],
                                  case["glyphTexts"], case["width"], case["height"], case["steps"],
                                  case["guidance"], case["seed"])
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
    golden.case("tokenizer", [{"text": p, "ids": tok.encode(p, vocab)} for p in TOKENIZER_PROMPTS])
    positions = {}
    for w, h in [(256, 256), (384, 256), (256, 384), (512, 512), (768, 512)]:
        positions["%dx%d" % (w, h)] = golden.tensor("positions", "%dx%d" % (w, h),
                                                    sampler.image_positions(h, w, 8, 2, 512), np.float32)
    golden.case("imagePositions", positions)


def write_mmdit_pack(root, vocab):
    models = build_models(len(vocab))
    inputs = golden_inputs(vocab)

    out = os.path.join(root, "tiny-mmdit-flow")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tok.write_tokenizer(os.path.join(out, "tokenizer.json"), vocab)
    onnx_models = export_mmdit(models, out)
    graphs = {}
    for key, (file, model) in onnx_models.items():
        graphs[key] = graph_entry(model, file)
        graphs[key]["sha256"] = packio.sha256(os.path.join(out, file))
    packio.write_json(os.path.join(out, "pack.json"), mmdit_manifest(
        "tiny-mmdit-flow", "fp32", graphs,
        "Tiny mmdit-flow pack with random weights: exercises the whole pipeline; its images are noise."))
    golden = packio.GoldenWriter(out)
    write_graph_goldens(golden, models, inputs, np.float32)
    write_pipeline_goldens(golden, models, vocab)
    golden.write()

    out16 = os.path.join(root, "tiny-mmdit-flow-fp16")
    shutil.rmtree(out16, ignore_errors=True)
    os.makedirs(out16)
    shutil.copy(os.path.join(out, "tokenizer.json"), out16)
    graphs16 = {}
    for key, (file, model) in onnx_models.items():
        wrapped = packio.wrap_fp16(model)
        onnx.save(wrapped, os.path.join(out16, file))
        graphs16[key] = graph_entry(wrapped, file)
        graphs16[key]["sha256"] = packio.sha256(os.path.join(out16, file))
    packio.write_json(os.path.join(out16, "pack.json"), mmdit_manifest(
        "tiny-mmdit-flow-fp16", "fp16", graphs16,
        "The tiny-mmdit-flow weights stored in fp16, with fp16 inputs and outputs."))
    golden16 = packio.GoldenWriter(out16)
    rounded = [packio.round_fp16(m) for m in models]
    write_graph_goldens(golden16, rounded, inputs, np.float16)
    golden16.write()


# ----------------------------------------------------------------------------------------- reward

REWARD_SPEC = {"image_size": 64, "max_chars": 24, "text_max_length": 64}
WEIGHTS = {"aesthetic": 0.3, "alignment": 0.5, "textRendering": 0.2}


def utf8_lenient(data):
    """UTF-8 decode that drops any byte that does not start a valid sequence (mirrors Java)."""
    out, i = [], 0
    while i < len(data):
        b = data[i]
        if b < 0x80:
            n, cp = 1, b
        elif 0xC2 <= b <= 0xDF:
            n, cp = 2, b & 0x1F
        elif 0xE0 <= b <= 0xEF:
            n, cp = 3, b & 0x0F
        elif 0xF0 <= b <= 0xF4:
            n, cp = 4, b & 0x07
        else:
            i += 1
            continue
        if i + n > len(data) or any(not 0x80 <= c <= 0xBF for c in data[i + 1:i + n]):
            i += 1
            continue
        for c in data[i + 1:i + n]:
            cp = (cp << 6) | (c & 0x3F)
        minimum = {1: 0, 2: 0x80, 3: 0x800, 4: 0x10000}[n]
        if cp < minimum or 0xD800 <= cp <= 0xDFFF or cp > 0x10FFFF:
            i += 1
            continue
        out.append(chr(cp))
        i += n
    return "".join(out)


def ocr_decode(logits):
    """Greedy decode of [Lmax, 259] logits: stop at eos (1), skip pad (0) and unk (2)."""
    data = []
    for position in logits:
        token = int(np.argmax(position))
        if token == tok.GLYPH_EOS:
            break
        if token >= tok.GLYPH_OFFSET:
            data.append(token - tok.GLYPH_OFFSET)
    return utf8_lenient(bytes(data))


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def lcs(a, b):
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ca == cb else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def preprocess(image_hwc):
    x = torch.from_numpy(image_hwc.astype(np.float32) / np.float32(255.0)).permute(2, 0, 1)[None]
    x = F.adaptive_avg_pool2d(x, REWARD_SPEC["image_size"])
    return ((x - 0.5) / 0.5).float()


def write_reward_pack(root, vocab):
    seeded(4321)
    aesthetic = reward.AestheticHead().eval()
    alignment = reward.AlignmentHead(len(vocab)).eval()
    ocr = reward.TextRenderingHead(REWARD_SPEC["max_chars"]).eval()

    out = os.path.join(root, "tiny-reward")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    tok.write_tokenizer(os.path.join(out, "tokenizer.json"), vocab)
    s = REWARD_SPEC["image_size"]
    pixels = torch.zeros(2, 3, s, s)
    ids = torch.zeros(2, REWARD_SPEC["text_max_length"], dtype=torch.int64)
    models = {
        "aesthetic": ("aesthetic.onnx", packio.export(
            aesthetic, (pixels,), os.path.join(out, "aesthetic.onnx"), ["pixels"], ["aesthetic"],
            {"pixels": {0: "batch"}, "aesthetic": {0: "batch"}})),
        "alignment": ("alignment.onnx", packio.export(
            alignment, (pixels, ids, ids), os.path.join(out, "alignment.onnx"),
            ["pixels", "input_ids", "attention_mask"], ["alignment"],
            {"pixels": {0: "batch"}, "input_ids": {0: "batch"}, "attention_mask": {0: "batch"},
             "alignment": {0: "batch"}})),
        "textRendering": ("text_rendering.onnx", packio.export(
            ocr, (pixels,), os.path.join(out, "text_rendering.onnx"), ["pixels"], ["char_logits"],
            {"pixels": {0: "batch"}, "char_logits": {0: "batch"}},
            {"char_logits": ["batch", REWARD_SPEC["max_chars"], tok.GLYPH_VOCAB]})),
    }
    graphs = {}
    for key, (file, model) in models.items():
        graphs[key] = graph_entry(model, file)
        graphs[key]["sha256"] = packio.sha256(os.path.join(out, file))
    thresholds = {"aesthetic": 0.35, "alignment": 0.45, "textRendering": 0.5, "overall": 0.45}
    packio.write_json(os.path.join(out, "pack.json"), {
        "format": 1,
        "id": "tiny-reward",
        "version": "0.1.0",
        "family": "reward",
        "description": "Tiny reward pack with random weights: real graphs and maths, meaningless scores.",
        "precision": "fp32",
        "tokenizer": {"type": "hf-tokenizer-json", "file": "tokenizer.json",
                      "maxLength": REWARD_SPEC["text_max_length"], "padId": 0},
        "image": {"size": s, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
        "textRendering": {"decoder": "byt5-greedy", "maxChars": REWARD_SPEC["max_chars"]},
        "weights": WEIGHTS,
        "thresholds": thresholds,
        "graphs": graphs,
    })

    golden = packio.GoldenWriter(out)
    rs = np.random.RandomState(5)
    px = rs.uniform(-1, 1, size=(3, 3, s, s)).astype(np.float32)
    id_rows, mask_rows = [], []
    for prompt in ("a red circle", "中秋快乐 月饼", ""):
        i, m = tok.pad(tok.encode(prompt, vocab), REWARD_SPEC["text_max_length"])
        id_rows.append(i)
        mask_rows.append(m)
    id_rows = np.array(id_rows, dtype=np.int64)
    mask_rows = np.array(mask_rows, dtype=np.int64)
    with torch.no_grad():
        tp = torch.from_numpy(px)
        golden.graph("aesthetic", [("pixels", px, np.float32)], [("aesthetic", aesthetic(tp).numpy(), np.float32)])
        golden.graph("alignment", [("pixels", px, np.float32), ("input_ids", id_rows, np.int64),
                                   ("attention_mask", mask_rows, np.int64)],
                     [("alignment", alignment(tp, torch.from_numpy(id_rows), torch.from_numpy(mask_rows)).numpy(), np.float32)])
        golden.graph("textRendering", [("pixels", px, np.float32)],
                     [("char_logits", ocr(tp).numpy(), np.float32)])

        # End to end: an image that is not a multiple of the reward size, two prompts, glyph text.
        yy, xx = np.mgrid[0:120, 0:200]
        image = np.stack([(xx * 255 // 199), (yy * 255 // 119), ((xx + yy) * 7) % 256], axis=-1)
        image = (image + rs.randint(0, 40, size=image.shape)).clip(0, 255).astype(np.uint8)
        prompt, original, glyphs = "a red circle with the word SALE", "红色圆形 SALE", ["SALE", "50%"]
        pre = preprocess(image)
        a_score = float(aesthetic(pre)[0])
        rows = [tok.pad(tok.encode(p, vocab), REWARD_SPEC["text_max_length"]) for p in (prompt, original)]
        al = alignment(pre.repeat(2, 1, 1, 1), torch.tensor([r[0] for r in rows]), torch.tensor([r[1] for r in rows]))
        logits = ocr(pre)[0].numpy()
        recognized = ocr_decode(logits)
        target = " ".join(glyphs)
        r_a = max(0.0, 1.0 - levenshtein(recognized, target) / len(target))
        r_h = lcs(recognized, target) / len(target)
        align = min(float(al[0]), float(al[1]))
        overall = (WEIGHTS["aesthetic"] * a_score + WEIGHTS["alignment"] * align
                   + WEIGHTS["textRendering"] * r_a) / sum(WEIGHTS.values())
    golden.case("score", {
        "image": golden.tensor("score", "image", image, np.uint8),
        "pixels": golden.tensor("score", "pixels", pre.numpy(), np.float32),
        "prompt": prompt, "originalPrompt": original, "glyphTexts": glyphs,
        "aesthetic": a_score, "alignment": float(al[0]), "alignmentOriginal": float(al[1]),
        "recognized": recognized, "textAccuracy": r_a, "textHitRate": r_h, "overall": overall,
    })
    golden.case("textMetrics", [
        {"recognized": r, "target": t, "accuracy": max(0.0, 1.0 - levenshtein(r, t) / len(t)),
         "hitRate": lcs(r, t) / len(t)}
        for r, t in [("SALE", "SALE"), ("SA1E", "SALE"), ("", "SALE"), ("中秋快乐", "中秋节快乐"),
                     ("SALESALESALE", "SALE"), ("ELAS", "SALE")]
    ])
    golden.write()


# ----------------------------------------------------------------------------- runtime resources

def write_resources():
    res = os.path.join(REPO, "inference", "src", "main", "resources", "io", "inkflow", "inference")
    os.makedirs(os.path.join(res, "runtime"), exist_ok=True)
    bench = os.path.join(REPO, "bench", "src", "main", "resources", "io", "inkflow", "bench", "inference")
    os.makedirs(bench, exist_ok=True)

    # The CUDA probe: y = x + 1 on a [1] float tensor.
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph([helper.make_node("Add", ["x", "one"], ["y"])], "cuda_probe", [x], [y], [one])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", packio.OPSET)],
                              producer_name="inkflow")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(res, "runtime", "cuda-probe.onnx"))

    # The near-empty transformer: the transformer's inputs, velocity = latents (one Identity).
    def value(name, elem, dims):
        return helper.make_tensor_value_info(name, elem, dims)

    inputs = [
        value("latents", TensorProto.FLOAT, ["batch", 4, "latent_height", "latent_width"]),
        value("timestep", TensorProto.FLOAT, ["batch"]),
        value("context", TensorProto.FLOAT, ["batch", "context_length", "context_dim"]),
        value("context_mask", TensorProto.FLOAT, ["batch", "context_length"]),
        value("image_positions", TensorProto.FLOAT, ["image_tokens", 2]),
    ]
    out = value("velocity", TensorProto.FLOAT, ["batch", 4, "latent_height", "latent_width"])
    graph = helper.make_graph([helper.make_node("Identity", ["latents"], ["velocity"])],
                              "null_transformer", inputs, [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", packio.OPSET)],
                              producer_name="inkflow")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(bench, "null-transformer.onnx"))


def write_test_graphs():
    """Deliberately wrong graphs for the Java bad-pack tests."""
    out = os.path.join(REPO, "inference", "src", "test", "resources", "io", "inkflow", "inference", "bad-graphs")
    os.makedirs(out, exist_ok=True)
    # A "VAE decoder" whose latents input has rank 3 instead of 4.
    latents = helper.make_tensor_value_info("latents", TensorProto.FLOAT, ["batch", 4, "latent_height"])
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 4, "latent_height"])
    graph = helper.make_graph([helper.make_node("Identity", ["latents"], ["image"])], "latents_rank3",
                              [latents], [image])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", packio.OPSET)], producer_name="inkflow")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "latents-rank3.onnx"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "infra", "models"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the same reductions, so the same bytes, on every run
    vocab = tok.build_vocab()
    os.makedirs(args.out, exist_ok=True)
    write_mmdit_pack(args.out, vocab)
    write_reward_pack(args.out, vocab)
    write_resources()
    write_test_graphs()
    print("vocabulary: %d tokens; packs written to %s" % (len(vocab), args.out))


if __name__ == "__main__":
    main()
