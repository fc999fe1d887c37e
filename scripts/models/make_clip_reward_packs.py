"""Write tiny random-weight reward packs whose alignment (and aesthetic) heads are CLIP exports.

    /usr/bin/python3 scripts/models/make_clip_reward_packs.py [--out infra/models]

Writes, byte-reproducibly (fixed seeds, one torch thread, deterministic export at opset 17):
  infra/models/tiny-clip-reward/        PickScore-like: clip/model.onnx as Optimum exports a CLIPModel
                                        (input_ids, pixel_values, attention_mask -> logits_per_image,
                                        logits_per_text, text_embeds, image_embeds), logit scale 100, pad
                                        <|endoftext|>; aesthetic = a LAION-predictor-shaped MLP over the same
                                        export's L2-normalised image embeds; no text-rendering head
  infra/models/tiny-clip-reward-split/  HPS v2-like: clip/text_model.onnx (input_ids -> text_embeds, no mask)
                                        and clip/vision_model.onnx (pixel_values -> image_embeds), plain cosine,
                                        pad "!" (id 0, open_clip's); aesthetic and text rendering are tiny-reward's
                                        own graphs (linked), so the pack mixes both kinds of head
each with a CLIP tokenizer folder (vocab.json and merges.txt linked to tiny-sd's, which are OpenAI's), a
preprocessor_config.json with CLIP-H's published values (crop 224, OpenAI mean/std, bicubic) and golden/index.json.

Also writes the deliberately wrong CLIP graphs of the Java error tests (inference/src/test/resources/.../bad-graphs/
clip-*.onnx, aesthetic-mlp-768.onnx): graphs that load but break the contract, never run.

Goldens are computed the way the published scorers compute them (inkflow_models/clip_reward.py: PickScore's
calc_probs, HPS v2's score, the LAION predictor) on the six images of testdata/reference/clip-preprocess, fed the
pixel_values transformers' CLIPImageProcessor produced for them there; Java runs its own preprocessing on the PNGs
(bit-identical to those pixel_values, ClipImageProcessorTest) and must match the scores.
Sources: scripts/models/clip_reward_packs_notes.md.
"""

import argparse
import gzip
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inkflow_models import clip_reward, packio  # noqa: E402
from inkflow_models.clip_bpe import ClipBpe, check_cases  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REFERENCE = os.path.join(REPO, "testdata", "reference")
CLIP_REF = os.path.join(REFERENCE, "clip")
PREPROCESS_REF = os.path.join(REFERENCE, "clip-preprocess")
TINY_SD_TOKENIZER = os.path.join("..", "..", "tiny-sd", "tokenizer")

# Sizes (published CLIP-H / ViT-H-14: text width 1024, vision width 1280, 24 + 32 layers, projection 1024, patch 14).
SINGLE = {"text_width": 32, "vision_width": 24, "projection": 24, "layers": 2, "heads": 2, "act": "gelu",
          "image_size": 224, "patch": 32, "logit_scale": 100.0}
SPLIT = {"text_width": 24, "vision_width": 16, "projection": 16, "layers": 2, "heads": 2, "act": "gelu",
         "image_size": 224, "patch": 32, "logit_scale": 100.0}

# CLIP-H's preprocessing (laion/CLIP-ViT-H-14-laion2B-s32B-b79K, which PickScore_v1's processor is): the keys
# transformers' CLIPImageProcessor.save_pretrained writes, OpenAI's mean/std, shortest edge and crop 224, bicubic.
PREPROCESSOR = {
    "crop_size": {"height": 224, "width": 224},
    "do_center_crop": True,
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_processor_type": "CLIPImageProcessor",
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "processor_class": "CLIPProcessor",
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "size": {"shortest_edge": 224},
}

PROMPTS = [
    "a photo of a cat",
    "A RED circle, on a blue background!",
    "",
    "a very detailed painting of " + "a castle on a hill, " * 12 + "at sunset",
    "一只猫坐在窗台上",
]

# Score maps chosen so that the tiny models' raw scores land inside (0, 1); the tests also map past both ends.
SINGLE_ALIGNMENT_MAP = {"type": "linear", "min": -40.0, "max": 40.0}
SINGLE_AESTHETIC_MAP = {"type": "linear", "min": 1.0, "max": 10.0}
SPLIT_ALIGNMENT_MAP = {"type": "linear", "min": -0.6, "max": 0.6}

SINGLE_WEIGHTS = {"aesthetic": 0.4, "alignment": 0.6, "textRendering": 0.0}
THRESHOLDS = {"aesthetic": 0.5, "alignment": 0.5, "textRendering": 0.5, "overall": 0.5}

# One scoring batch: (image index, prompt index, original prompt index or None, glyph texts). Duplicate prompts,
# an original equal to the prompt, absent originals, a repeated (image, prompt) pair and glyph text that a pack
# without a text head leaves unscored.
BATCH = [
    (0, 0, 1, []),
    (1, 0, None, []),
    (2, 3, 3, []),
    (3, 4, None, ["SALE"]),
    (4, 2, 0, []),
    (5, 1, None, []),
    (0, 0, None, []),
]


def seeded(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


def write_config(path, document):
    """transformers' to_json_string: indent 2, sorted keys, newline."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(document, indent=2, sort_keys=True) + "\n")


def _special(content):
    return {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def write_tokenizer(folder, bpe, pad):
    """vocab.json and merges.txt linked to tiny-sd's (checked equal to OpenAI's, as CLIPTokenizer writes them), and
    the two config files with this export's pad token."""
    os.makedirs(folder, exist_ok=True)
    for name, write in (("vocab.json", bpe.write_vocab), ("merges.txt", bpe.write_merges)):
        target = os.path.join(TINY_SD_TOKENIZER, name)
        os.symlink(target, os.path.join(folder, name))
        check = os.path.join(folder, name + ".check")
        write(check)
        with open(check, "rb") as a, open(os.path.join(folder, name), "rb") as b:
            assert a.read() == b.read(), "tiny-sd's %s differs from OpenAI's: run make_sd_exports.py first" % name
        os.remove(check)
    write_config(os.path.join(folder, "special_tokens_map.json"), {
        "bos_token": _special("<|startoftext|>"),
        "eos_token": _special("<|endoftext|>"),
        "pad_token": pad if pad == "<|endoftext|>" else _special(pad),
        "unk_token": _special("<|endoftext|>"),
    })
    write_config(os.path.join(folder, "tokenizer_config.json"), {
        "add_prefix_space": False,
        "bos_token": "<|startoftext|>",
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": 77,
        "pad_token": pad,
        "processor_class": "CLIPProcessor",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": "<|endoftext|>",
    })


def clip_config(cfg):
    """A transformers CLIPConfig's keys with the tiny sizes (the Java loader does not read it)."""
    def tower(width):
        return {"hidden_act": cfg["act"], "hidden_size": width, "intermediate_size": 4 * width,
                "num_attention_heads": cfg["heads"], "num_hidden_layers": cfg["layers"], "layer_norm_eps": 1e-05}
    text = dict(tower(cfg["text_width"]), max_position_embeddings=77, vocab_size=49408, bos_token_id=0,
                eos_token_id=2, pad_token_id=1, model_type="clip_text_model")
    vision = dict(tower(cfg["vision_width"]), image_size=cfg["image_size"], patch_size=cfg["patch"], num_channels=3,
                  model_type="clip_vision_model")
    return {"architectures": ["CLIPModel"], "logit_scale_init_value": 2.6592, "model_type": "clip",
            "projection_dim": cfg["projection"], "text_config": text, "torch_dtype": "float32",
            "vision_config": vision}


def build_clip(seed, cfg):
    seeded(seed)
    clip = clip_reward.TinyClip(cfg["text_width"], cfg["vision_width"], cfg["projection"], cfg["layers"],
                                cfg["heads"], cfg["act"], cfg["image_size"], cfg["patch"], cfg["logit_scale"])
    return clip.eval()


def export(module, args, path, inputs, outputs, axes, shapes):
    model = packio.export(module, args, path, inputs, outputs, axes, shapes)
    model.producer_name = "pytorch"
    onnx.save(model, path)
    onnx.checker.check_model(onnx.load(path))
    return onnx.load(path)


def dummy_text(bpe, pad):
    return torch.tensor([bpe.ids77("a photo of a cat", pad), bpe.ids77("", pad)], dtype=torch.int64)


def export_single(clip, folder, bpe):
    """Optimum's CLIPOnnxConfig (task zero-shot-image-classification): axes as optimum-onnx 1939f27a writes them."""
    ids = dummy_text(bpe, bpe.eot)
    mask = (torch.arange(77)[None, :] <= ids.argmax(dim=-1)[:, None]).long()
    pixels = torch.randn(3, 3, 224, 224)
    axes = {
        "input_ids": {0: "text_batch_size", 1: "sequence_length"},
        "pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
        "attention_mask": {0: "text_batch_size", 1: "sequence_length"},
        "logits_per_image": {0: "image_batch_size", 1: "text_batch_size"},
        "logits_per_text": {0: "text_batch_size", 1: "image_batch_size"},
        "text_embeds": {0: "text_batch_size"},
        "image_embeds": {0: "image_batch_size"},
    }
    p = clip.text_projection.out_features
    shapes = {"logits_per_image": ["image_batch_size", "text_batch_size"],
              "logits_per_text": ["text_batch_size", "image_batch_size"],
              "text_embeds": ["text_batch_size", p], "image_embeds": ["image_batch_size", p]}
    return export(clip_reward.TinyClipModel(clip), (ids, pixels, mask), os.path.join(folder, "model.onnx"),
                  ["input_ids", "pixel_values", "attention_mask"],
                  ["logits_per_image", "logits_per_text", "text_embeds", "image_embeds"], axes, shapes)


def export_split(clip, folder, bpe):
    """The split layout (Optimum's MetaCLIP 2 variant names; open_clip's text tower takes no mask)."""
    p = clip.text_projection.out_features
    text = export(clip_reward.TinyClipTextModel(clip), (dummy_text(bpe, 0),), os.path.join(folder, "text_model.onnx"),
                  ["input_ids"], ["text_embeds"],
                  {"input_ids": {0: "batch_size", 1: "sequence_length"}, "text_embeds": {0: "batch_size"}},
                  {"text_embeds": ["batch_size", p]})
    vision = export(clip_reward.TinyClipVisionModel(clip), (torch.randn(2, 3, 224, 224),),
                    os.path.join(folder, "vision_model.onnx"), ["pixel_values"], ["image_embeds"],
                    {"pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
                     "image_embeds": {0: "batch_size"}},
                    {"image_embeds": ["batch_size", p]})
    return text, vision


def export_mlp(mlp, path, dim):
    return export(mlp, (torch.randn(2, dim),), path, ["image_embeds"], ["aesthetic"],
                  {"image_embeds": {0: "batch"}, "aesthetic": {0: "batch"}}, {"aesthetic": ["batch", 1]})


def reference_images():
    """The clip-preprocess reference cases: name, PNG path (relative to the repository) and sha256, and the
    pixel_values transformers computed for them [6, 3, 224, 224]."""
    with open(os.path.join(PREPROCESS_REF, "index.json")) as f:
        index = json.load(f)
    with gzip.open(os.path.join(PREPROCESS_REF, index["pixel_values_file"]["name"]), "rb") as f:
        raw = f.read()
    values = np.frombuffer(raw, dtype="<f4")
    images, pixels = [], []
    for case in index["cases"]:
        ref = case["pixel_values"]
        assert ref["shape"] == [3, 224, 224], case["name"]
        pixels.append(values[ref["offset"] // 4: ref["offset"] // 4 + ref["count"]].reshape(3, 224, 224))
        images.append({"name": case["name"], "png": "testdata/reference/clip-preprocess/" + case["png"],
                       "sha256": case["png_sha256"]})
    return images, np.stack(pixels).astype(np.float32)


def unpadded_ids(bpe, text):
    """What CLIPProcessor(text, padding=True, truncation=True, max_length=77) gives for one prompt."""
    return [bpe.sot] + bpe.bpe_ids(text)[:75] + [bpe.eot]


def floats(array):
    return [float(v) for v in np.asarray(array, dtype=np.float32).reshape(-1)]


def manifest(pack_id, description, alignment, aesthetic, text_rendering, weights, graphs, image=None):
    document = {
        "format": 1,
        "id": pack_id,
        "version": "0.1.0",
        "family": "reward",
        "description": description,
        "precision": "fp32",
    }
    if image:
        document["image"] = image
    document.update({"alignment": alignment, "aesthetic": aesthetic, "textRendering": text_rendering,
                     "weights": weights, "thresholds": THRESHOLDS, "graphs": graphs})
    return document


def write_single(root, bpe, images, pixels):
    cfg = SINGLE
    out = os.path.join(root, "tiny-clip-reward")
    shutil.rmtree(out, ignore_errors=True)
    folder = os.path.join(out, "clip")
    os.makedirs(folder)
    clip = build_clip(3101, cfg)
    seeded(3102)
    mlp = clip_reward.TinyAestheticMlp(cfg["projection"]).eval()
    models = {"clip/model.onnx": export_single(clip, folder, bpe),
              "aesthetic_mlp.onnx": export_mlp(mlp, os.path.join(out, "aesthetic_mlp.onnx"), cfg["projection"])}
    write_config(os.path.join(folder, "config.json"), clip_config(cfg))
    write_config(os.path.join(folder, "preprocessor_config.json"), PREPROCESSOR)
    write_tokenizer(folder, bpe, "<|endoftext|>")

    mlp_entry = {"file": "aesthetic_mlp.onnx"}
    mlp_entry.update(packio.io_spec(models["aesthetic_mlp.onnx"]))
    mlp_entry["sha256"] = packio.sha256(os.path.join(out, "aesthetic_mlp.onnx"))
    packio.write_json(os.path.join(out, "pack.json"), manifest(
        "tiny-clip-reward",
        "Tiny random-weight reward pack laid out like PickScore_v1's Optimum export (clip/model.onnx, scaled "
        "cosine) with a LAION-aesthetic-shaped MLP over the same export's image embeds; no text-rendering head. "
        "Real graphs and maths, meaningless scores.",
        {"head": "clip", "export": "clip", "logitScale": cfg["logit_scale"], "scoreMap": SINGLE_ALIGNMENT_MAP},
        {"head": "clip-mlp", "export": "clip", "scoreMap": SINGLE_AESTHETIC_MAP},
        {"head": "none"}, SINGLE_WEIGHTS, {"aesthetic": mlp_entry}))

    prompt_ids = [unpadded_ids(bpe, p) for p in PROMPTS]
    logits, image_embeds, text_embeds = clip_reward.pickscore(clip, pixels, prompt_ids)
    aesthetic = clip_reward.laion_aesthetic(clip, mlp, pixels)
    with torch.no_grad():
        # The graph's own outputs for 77-id rows padded with <|endoftext|>, as Java feeds it: the causal mask and
        # EOT pooling make them equal to the unpadded ones.
        ids77 = torch.tensor([bpe.ids77(p, bpe.eot) for p in PROMPTS], dtype=torch.int64)
        mask77 = (torch.arange(77)[None, :] <= ids77.argmax(dim=-1)[:, None]).long()
        per_image, _, padded_text, graph_image = clip_reward.TinyClipModel(clip)(ids77, torch.from_numpy(pixels),
                                                                                 mask77)
    padding_diff = float(np.abs(padded_text.numpy() - text_embeds).max())
    assert padding_diff < 1e-6, padding_diff
    graph_diff = float(np.abs(per_image.numpy() - logits).max())
    assert graph_diff < 1e-4, graph_diff
    amap, emap = SINGLE_ALIGNMENT_MAP, SINGLE_AESTHETIC_MAP
    assert all(0 < clip_reward.linear_map(v, amap["min"], amap["max"]) < 1 for v in logits.reshape(-1)), logits
    assert all(0 < clip_reward.linear_map(v, emap["min"], emap["max"]) < 1 for v in aesthetic), aesthetic

    golden = packio.GoldenWriter(out)
    golden.case("fixture", {
        "layout": "single model.onnx (CLIPOnnxConfig, zero-shot-image-classification)",
        "reference": "PickScore calc_probs before softmax: logit_scale.exp() * text_embs @ image_embs.T, one "
                     "prompt a call (no padding); LAION predictor: MLP(normalized(encode_image))",
        "logitScale": float(np.float32(clip.logit_scale.exp().item())),
        "paddedTo77MaxDiff": padding_diff,
        "logitsPerImageMaxDiff": graph_diff,
    })
    batch_case(golden, images, prompt_ids, image_embeds, text_embeds, logits, aesthetic, amap, emap,
               SINGLE_WEIGHTS)
    golden.write()
    return out, models


def write_split(root, bpe, images, pixels):
    cfg = SPLIT
    out = os.path.join(root, "tiny-clip-reward-split")
    shutil.rmtree(out, ignore_errors=True)
    folder = os.path.join(out, "clip")
    os.makedirs(folder)
    clip = build_clip(3201, cfg)
    text, vision = export_split(clip, folder, bpe)
    models = {"clip/text_model.onnx": text, "clip/vision_model.onnx": vision}
    write_config(os.path.join(folder, "preprocessor_config.json"), PREPROCESSOR)
    write_tokenizer(folder, bpe, "!")

    # tiny-reward's own aesthetic and text-rendering graphs, linked, with their manifest entries.
    with open(os.path.join(root, "tiny-reward", "pack.json")) as f:
        tiny = json.load(f)
    graphs = {}
    for key in ("aesthetic", "textRendering"):
        entry = tiny["graphs"][key]
        os.symlink(os.path.join("..", "tiny-reward", entry["file"]), os.path.join(out, entry["file"]))
        assert packio.sha256(os.path.join(out, entry["file"])) == entry["sha256"]
        graphs[key] = entry
    packio.write_json(os.path.join(out, "pack.json"), manifest(
        "tiny-clip-reward-split",
        "Tiny random-weight reward pack mixing heads: alignment from an HPS v2-like split CLIP export "
        "(clip/text_model.onnx + clip/vision_model.onnx, plain cosine), aesthetic and text rendering from "
        "tiny-reward's own graphs (linked). Real graphs and maths, meaningless scores.",
        {"head": "clip", "export": "clip", "scoreMap": SPLIT_ALIGNMENT_MAP},
        {"head": "graph"}, tiny["textRendering"], tiny["weights"], graphs, image=tiny["image"]))

    ids77 = [bpe.ids77(p, 0) for p in PROMPTS]
    cosine, image_embeds, text_embeds = clip_reward.hps(clip, pixels, ids77)
    amap = SPLIT_ALIGNMENT_MAP
    assert all(0 < clip_reward.linear_map(v, amap["min"], amap["max"]) < 1 for v in cosine.reshape(-1)), cosine
    golden = packio.GoldenWriter(out)
    golden.case("fixture", {
        "layout": "split text_model.onnx / vision_model.onnx",
        "reference": "HPS v2 score: image_features @ text_features.T with normalised open_clip features and "
                     "77-id rows padded with 0",
    })
    batch_case(golden, images, ids77, image_embeds, text_embeds, cosine, None, amap, None, tiny["weights"])
    golden.write()
    return out, models


def batch_case(golden, images, prompt_ids, image_embeds, text_embeds, raw, aesthetic, amap, emap, weights):
    """The golden index: images, prompts and their ids, normalised embeds, raw scores per (image, prompt), and one
    scoring batch with the expected mapped scores (aesthetic and overall only where the pack's aesthetic is the CLIP
    MLP: own graphs are checked against their own pack)."""
    golden.case("images", images)
    golden.case("prompts", [{"text": p, "ids": ids} for p, ids in zip(PROMPTS, prompt_ids)])
    golden.case("imageEmbeds", [floats(e) for e in image_embeds])
    golden.case("textEmbeds", [floats(e) for e in text_embeds])
    golden.case("alignmentRaw", [floats(row) for row in raw])
    golden.case("alignmentScoreMap", amap)
    if aesthetic is not None:
        golden.case("aestheticRaw", floats(aesthetic))
        golden.case("aestheticScoreMap", emap)
    rows = []
    for image, prompt, original, glyphs in BATCH:
        expected = {"alignment": clip_reward.linear_map(raw[image][prompt], amap["min"], amap["max"])}
        if original is not None:
            expected["alignmentOriginal"] = clip_reward.linear_map(raw[image][original], amap["min"], amap["max"])
        if aesthetic is not None:
            a = clip_reward.linear_map(aesthetic[image], emap["min"], emap["max"])
            align = min(expected["alignment"], expected.get("alignmentOriginal", expected["alignment"]))
            expected["aesthetic"] = a
            expected["overall"] = (weights["aesthetic"] * a + weights["alignment"] * align) / (
                weights["aesthetic"] + weights["alignment"])
        rows.append({"image": image, "prompt": prompt, "originalPrompt": original, "glyphTexts": glyphs,
                     "expected": expected})
    golden.case("batch", rows)


def write_test_graphs():
    """Graphs that load in ONNX Runtime but break the CLIP export contract in one way each (their values are never
    computed: each fails the checks at load)."""
    out = os.path.join(REPO, "inference", "src", "test", "resources", "io", "inkflow", "inference", "bad-graphs")
    os.makedirs(out, exist_ok=True)

    def value(name, elem, dims):
        return helper.make_tensor_value_info(name, elem, dims)

    def ids(name="input_ids"):
        return value(name, TensorProto.INT64, ["text_batch_size", "sequence_length"])

    def pixels(side="height"):
        side_w = "width" if side == "height" else side
        return value("pixel_values", TensorProto.FLOAT, ["batch_size", 3, side, side_w])

    image_embeds = helper.make_node("ReduceMean", ["pixel_values"], ["image_embeds"], axes=[2, 3], keepdims=0)
    text_embeds = helper.make_node("Cast", ["input_ids"], ["text_embeds"], to=TensorProto.FLOAT)
    image_out = value("image_embeds", TensorProto.FLOAT, ["image_batch_size", 3])
    text_out = value("text_embeds", TensorProto.FLOAT, ["text_batch_size", "sequence_length"])
    graphs = {
        # model.onnx without the text_embeds output
        "clip-no-text-embeds": ([image_embeds], [ids(), pixels(), ids("attention_mask")], [image_out]),
        # model.onnx without the input_ids input (an image-classification export)
        "clip-no-input-ids": ([image_embeds, helper.make_node("Identity", ["image_embeds"], ["text_embeds"])],
                              [pixels()], [image_out, value("text_embeds", TensorProto.FLOAT,
                                                            ["image_batch_size", 3])]),
        # model.onnx fixed at 336 x 336 (a ViT-L/14-336 export) beside a 224 crop
        "clip-crop-336": ([image_embeds, text_embeds], [ids(), pixels(336), ids("attention_mask")],
                          [text_out, image_out]),
        # model.onnx with an input the scorer does not feed
        "clip-extra-input": ([image_embeds, text_embeds],
                             [ids(), pixels(), ids("attention_mask"), ids("position_ids")], [text_out, image_out]),
        # an aesthetic MLP over ViT-L/14's 768-wide embeds
        "aesthetic-mlp-768": ([helper.make_node("ReduceMean", ["image_embeds"], ["aesthetic"], axes=[1], keepdims=1)],
                              [value("image_embeds", TensorProto.FLOAT, ["batch", 768])],
                              [value("aesthetic", TensorProto.FLOAT, ["batch", 1])]),
    }
    for name, (nodes, inputs, outputs) in graphs.items():
        graph = helper.make_graph(nodes, name.replace("-", "_"), inputs, outputs)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", packio.OPSET)],
                                  producer_name="inkflow")
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(out, name + ".onnx"))


def describe(model, name):
    lines = []
    for kind, values in (("in ", model.graph.input), ("out", model.graph.output)):
        for v in values:
            t = v.type.tensor_type
            dims = [d.dim_param or d.dim_value for d in t.shape.dim]
            lines.append("  %-24s %s %-18s %-8s %s" % (name, kind, v.name, packio._DTYPES[t.elem_type], dims))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "infra", "models"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the same reductions, so the same bytes, on every run
    bpe = ClipBpe(os.path.join(CLIP_REF, "bpe_simple_vocab_16e6.txt.gz"))
    print("tokenizer: %d reference cases reproduced" % check_cases(bpe, os.path.join(CLIP_REF, "tokenizer-cases.json")))
    images, pixels = reference_images()
    for writer in (write_single, write_split):
        out, models = writer(args.out, bpe, images, pixels)
        print(os.path.relpath(out, REPO))
        for name, model in models.items():
            print("\n".join(describe(model, name)))
    write_test_graphs()


if __name__ == "__main__":
    main()
