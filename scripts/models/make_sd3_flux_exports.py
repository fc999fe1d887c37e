"""Write tiny random-weight SD3 and FLUX.1 folders laid out like ``optimum-cli export onnx``.

    /usr/bin/python3 scripts/models/make_sd3_flux_exports.py [--out infra/models]

Needs python3-sentencepiece (Debian) besides torch and onnx. Writes, byte-reproducibly (fixed seeds,
one torch thread, one-thread SentencePiece training, deterministic export at opset 17):
  infra/models/tiny-sd3/   StableDiffusion3Pipeline (SD3-Medium layout), fp32: two CLIP encoders with
                           projection and hidden states, a T5 encoder, the SD3 transformer, a 16-channel
                           VAE, FlowMatch Euler shift 3
  infra/models/tiny-flux/  FluxPipeline (FLUX.1-schnell layout), fp16 inputs and outputs: CLIP
                           (pooler_output), T5, the Flux transformer on packed latents with 2-D ids,
                           a 16-channel VAE, FlowMatch Euler shift 1 without dynamic shifting
each with the published config files' keys (values shrunk), tokenizer folders (CLIP: the real
vocabulary; T5: a SentencePiece model trained here), inkflow.json, golden/t5-cases.json and golden/
tensors from the reference pipeline (inkflow_models/sd3_flux_reference.py).
Sources: scripts/models/sd3_flux_exports_notes.md.
"""

import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import make_sd_exports as sdx  # noqa: E402
from inkflow_models import packio, sd3_flux_reference as ref  # noqa: E402
from inkflow_models.clip_bpe import ClipBpe, check_cases  # noqa: E402
from inkflow_models.sd_reference import Graph  # noqa: E402
from inkflow_models.sd_tiny import ClipTextModel, ClipTextModelWithProjection, TinyVaeDecoder, TinyVaeEncoder  # noqa
from inkflow_models.sd3_flux_tiny import T5Encoder, TinyFluxTransformer, TinySD3Transformer  # noqa: E402
from inkflow_models.t5_spm import T5Spm, golden_cases, train  # noqa: E402

REPO = sdx.REPO
REPO_REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "reference")
PIPE_REF = os.path.join(REPO_REFERENCE, "diffusers-pipelines")
T5_MAX_LENGTH = 32  # the fixtures' max_sequence_length (published pipelines: SD3 256, schnell 256, dev 512)
T5_VOCAB = 1000  # SentencePiece pieces; the Hugging Face tokenizer adds 100 <extra_id_N>

# ---------------------------------------------------------------------------------------------
# Published config files (keys verbatim; sizes shrunk). Sources in sd3_flux_exports_notes.md.
# ---------------------------------------------------------------------------------------------

SD3_MODEL_INDEX = {
    "_class_name": "StableDiffusion3Pipeline",
    "_diffusers_version": "0.29.0.dev0",
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "text_encoder": ["transformers", "CLIPTextModelWithProjection"],
    "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
    "text_encoder_3": ["transformers", "T5EncoderModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "tokenizer_2": ["transformers", "CLIPTokenizer"],
    "tokenizer_3": ["transformers", "T5TokenizerFast"],
    "transformer": ["diffusers", "SD3Transformer2DModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}

SD3_SCHEDULER = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "_diffusers_version": "0.29.0.dev0",
    "num_train_timesteps": 1000,
    "shift": 3.0,
}

SD3_TEXT_ENCODER = sdx._clip_text_config("CLIPTextModelWithProjection", "quick_gelu", 16, 2, 3, 16,
                                         "4.41.0.dev0")  # 768, 12 heads, 12 layers, projection 768
SD3_TEXT_ENCODER_2 = sdx._clip_text_config("CLIPTextModelWithProjection", "gelu", 24, 3, 3, 24,
                                           "4.41.0.dev0")  # 1280, 20 heads, 32 layers, projection 1280


def _t5_config(d_model, heads, layers, d_ff, dtype, version):
    return {
        "architectures": ["T5EncoderModel"],
        "classifier_dropout": 0.0,
        "d_ff": d_ff,
        "d_kv": d_model // heads,
        "d_model": d_model,
        "decoder_start_token_id": 0,
        "dense_act_fn": "gelu_new",
        "dropout_rate": 0.1,
        "eos_token_id": 1,
        "feed_forward_proj": "gated-gelu",
        "initializer_factor": 1.0,
        "is_encoder_decoder": True,
        "is_gated_act": True,
        "layer_norm_epsilon": 1e-06,
        "model_type": "t5",
        "num_decoder_layers": layers,
        "num_heads": heads,
        "num_layers": layers,
        "output_past": True,
        "pad_token_id": 0,
        # the stand-in's relative bias: clipped distances -8..8 (T5: log buckets, 32 of them, up to 128)
        "relative_attention_max_distance": 8,
        "relative_attention_num_buckets": 17,
        "tie_word_embeddings": False,
        "torch_dtype": dtype,
        "transformers_version": version,
        "use_cache": True,
        "vocab_size": T5_VOCAB + 128,  # 32128 = 32000 pieces + 100 extra ids + 28 unused rows
    }


SD3_TEXT_ENCODER_3 = _t5_config(48, 3, 2, 96, "float16", "4.41.0.dev0")  # 4096, 64 heads, 24 layers, 10240

SD3_TRANSFORMER = {
    "_class_name": "SD3Transformer2DModel",
    "_diffusers_version": "0.29.0.dev0",
    "attention_head_dim": 16,  # 64
    "caption_projection_dim": 32,  # 1536 = 24 * 64
    "in_channels": 16,
    "joint_attention_dim": 48,  # 4096 (the T5 width)
    "num_attention_heads": 2,  # 24
    "num_layers": 1,  # 24
    "out_channels": 16,
    "patch_size": 2,
    "pooled_projection_dim": 40,  # 2048 = 768 + 1280; here 16 + 24
    "pos_embed_max_size": 24,  # 192
    "sample_size": 16,  # 128: 128 px
}


def _vae_config(version, scaling, shift, mid_attention):
    cfg = {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": version,
        "act_fn": "silu",
        "block_out_channels": [16, 16, 16, 16],  # [128, 256, 512, 512]: four blocks = 8x
        "down_block_types": ["DownEncoderBlock2D"] * 4,
        "force_upcast": True,
        "in_channels": 3,
        "latent_channels": 16,
        "latents_mean": None,
        "latents_std": None,
        "layers_per_block": 1,  # 2
    }
    if mid_attention:
        cfg["mid_block_add_attention"] = True
    cfg.update({
        "norm_num_groups": 4,  # 32
        "out_channels": 3,
        "sample_size": 128,  # 1024
        "scaling_factor": scaling,
        "shift_factor": shift,
        "up_block_types": ["UpDecoderBlock2D"] * 4,
        "use_post_quant_conv": False,
        "use_quant_conv": False,
    })
    return cfg


SD3_VAE = _vae_config("0.29.0.dev0", 1.5305, 0.0609, False)

FLUX_MODEL_INDEX = {
    "_class_name": "FluxPipeline",
    "_diffusers_version": "0.30.0.dev0",
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "text_encoder_2": ["transformers", "T5EncoderModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "tokenizer_2": ["transformers", "T5TokenizerFast"],
    "transformer": ["diffusers", "FluxTransformer2DModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}

FLUX_SCHEDULER = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "_diffusers_version": "0.30.0.dev0",
    "base_image_seq_len": 256,
    "base_shift": 0.5,
    "max_image_seq_len": 4096,
    "max_shift": 1.15,
    "num_train_timesteps": 1000,
    "shift": 1.0,
    "use_dynamic_shifting": False,
}

# FLUX.1-dev's published scheduler: shift 3.0 with dynamic shifting (see testdata/reference/diffusers-pipelines/README.md §3).
FLUX_DEV_SCHEDULER = dict(FLUX_SCHEDULER, shift=3.0, use_dynamic_shifting=True)

FLUX_TEXT_ENCODER = sdx._clip_text_config("CLIPTextModel", "quick_gelu", 32, 2, 3, 32, "4.43.3")  # 768, 12, 12
del FLUX_TEXT_ENCODER["output_hidden_states"]  # Optimum sets it for SDXL and SD3 only
FLUX_TEXT_ENCODER["torch_dtype"] = "bfloat16"
FLUX_TEXT_ENCODER_2 = _t5_config(48, 3, 2, 96, "bfloat16", "4.43.3")  # 4096, 64 heads, 24 layers, 10240

FLUX_TRANSFORMER = {
    "_class_name": "FluxTransformer2DModel",
    "_diffusers_version": "0.30.0.dev0",
    "attention_head_dim": 16,  # 128
    # not in the published file (the class default (16, 56, 56) sums to 128); the shrunk head needs its own
    "axes_dims_rope": [4, 6, 6],
    "guidance_embeds": False,  # schnell; dev: true
    "in_channels": 64,
    "joint_attention_dim": 48,  # 4096 (the T5 width)
    "num_attention_heads": 2,  # 24
    "num_layers": 1,  # 19
    "num_single_layers": 1,  # 38
    "patch_size": 1,
    "pooled_projection_dim": 32,  # 768 (CLIP-L pooler_output)
}

FLUX_VAE = _vae_config("0.30.0.dev0", 0.3611, 0.1159, True)



def inkflow_json(description, guidance, guidance_max):
    return {
        "format": 1,
        "description": description,
        "scheduler": {"defaultSteps": 4, "minSteps": 1, "maxSteps": 8},
        "guidance": {"default": guidance, "min": 0.0, "max": guidance_max},
        "languages": ["en"],
        "otherLanguages": "warn",
        "glyphText": "quote",
        "promptRewrite": {"policy": "on"},
        "t5MaxLength": T5_MAX_LENGTH,
        # Small sizes the tiny graphs run fast at (Flux's config has no sample_size: its pipeline's
        # default is 1024 px), multiples of 16 px (VAE 8 x patch 2).
        "buckets": [{"width": w, "height": h} for w, h in ((128, 128), (64, 64), (128, 96), (96, 128))],
    }


# ---------------------------------------------------------------------------------------------
# Export (names, dynamic axes and input order of Optimum's exporter configs)
# ---------------------------------------------------------------------------------------------

def export_clip(module, path, names, fp16, dims):
    """CLIPTextOnnxConfig / CLIPTextWithProjectionOnnxConfig: every output {0: batch_size,
    1: sequence_length} except pooler_output {0: batch_size} (text_embeds too is declared
    {0: batch_size, 1: sequence_length} there)."""
    ids = torch.full((2, 77), 49407, dtype=torch.int64)
    ids[:, 0] = 49406
    ids[:, 1:4] = torch.tensor([320, 1125, 539])
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}}
    shapes = {}
    for n in names:
        if n == "pooler_output":
            axes[n] = {0: "batch_size"}
            shapes[n] = ["batch_size", dims[n]]
        elif n == "text_embeds":
            axes[n] = {0: "batch_size", 1: "sequence_length"}
            shapes[n] = ["batch_size", "sequence_length"]
        else:
            axes[n] = {0: "batch_size", 1: "sequence_length"}
            shapes[n] = ["batch_size", "sequence_length", dims[n]]
    return sdx.export_graph(module, (ids,), path, ["input_ids"], names, axes, shapes, fp16)


def export_t5(module, path, fp16, d_model):
    ids = torch.zeros((1, T5_MAX_LENGTH), dtype=torch.int64)
    ids[0, :4] = torch.tensor([5, 17, 9, 1])
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}
    return sdx.export_graph(module, (ids,), path, ["input_ids"], ["last_hidden_state"], axes,
                            {"last_hidden_state": ["batch_size", "sequence_length", d_model]}, fp16)


def export_vae16(decoder, encoder, out, fp16):
    """VaeDecoderOnnxConfig / VaeEncoderOnnxConfig (current: latent_parameters), 16 latent channels."""
    s = 8
    dec = sdx.export_graph(decoder, (torch.randn(1, 16, s, s),), os.path.join(out, "vae_decoder", "model.onnx"),
                           ["latent_sample"], ["sample"],
                           {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
                            "sample": {0: "batch_size", 2: "latent_height * 8", 3: "latent_width * 8"}},
                           {"sample": ["batch_size", 3, "latent_height * 8", "latent_width * 8"]}, fp16)
    enc = sdx.export_graph(encoder, (torch.randn(1, 3, 8 * s, 8 * s),), os.path.join(out, "vae_encoder", "model.onnx"),
                           ["sample"], ["latent_parameters"],
                           {"sample": {0: "batch_size", 2: "sample_height", 3: "sample_width"},
                            "latent_parameters": {0: "batch_size", 2: "sample_height / 8", 3: "sample_width / 8"}},
                           {"latent_parameters": ["batch_size", 32, "sample_height / 8", "sample_width / 8"]}, fp16)
    return dec, enc


def export_sd3_transformer(module, path, cfg, seq):
    b, s = 2, cfg["sample_size"]
    args = (torch.randn(b, 16, s, s), torch.randn(b, seq, cfg["joint_attention_dim"]),
            torch.randn(b, cfg["pooled_projection_dim"]), torch.tensor([1000.0, 1000.0]))
    names = ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep"]
    axes = {"hidden_states": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "pooled_projections": {0: "batch_size"},
            "timestep": {0: "step"},
            "out_hidden_states": {0: "batch_size", 2: "height", 3: "width"}}
    return sdx.export_graph(module, args, path, names, ["out_hidden_states"], axes,
                            {"out_hidden_states": ["batch_size", 16, "height", "width"]}, False)


def export_flux_transformer(module, path, cfg, fp16=True):
    seq, txt = 64, T5_MAX_LENGTH
    img_ids = ref.latent_image_ids(8, 8).to(torch.int64)
    args = [torch.randn(1, seq, cfg["in_channels"]), torch.randn(1, txt, cfg["joint_attention_dim"]),
            torch.randn(1, cfg["pooled_projection_dim"]), torch.tensor([1.0]), img_ids,
            torch.zeros(txt, 3, dtype=torch.int64)]
    names = ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "img_ids", "txt_ids"]
    axes = {"hidden_states": {0: "batch_size", 1: "packed_height_width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "pooled_projections": {0: "batch_size"},
            "timestep": {0: "step"},
            "img_ids": {0: "packed_height_width"},
            "txt_ids": {0: "sequence_length"},
            "out_hidden_states": {0: "batch_size", 1: "packed_height_width"}}
    if cfg["guidance_embeds"]:
        args.append(torch.tensor([3.5]))
        names.append("guidance")
        axes["guidance"] = {0: "batch_size"}
    return sdx.export_graph(module, tuple(args), path, names, ["out_hidden_states"], axes,
                            {"out_hidden_states": ["batch_size", "packed_height_width", cfg["in_channels"]]}, fp16)


# ---------------------------------------------------------------------------------------------
# Golden tensors
# ---------------------------------------------------------------------------------------------

def golden_case(writer, name, case, rec, noise, graph_dtype):
    p = "case-" + name
    entry = {"name": name}
    entry.update(case)
    t = {}

    def put(key, array, dtype=None):
        t[key] = writer.tensor(p, key, array, dtype or sdx._dtype(array))

    for key in sorted(k for k in rec if k.endswith(("input_ids", "input_ids_2", "input_ids_3"))):
        put(key, rec[key])
    entry["text_encoder_calls"] = {k: sdx.golden_call(writer, p + "." + k, rec[k])
                                   for k in sorted(k for k in rec if k.startswith("text_encoder"))}
    put("prompt_embeds", rec["prompt_embeds"], graph_dtype)
    put("pooled_projections", rec["pooled_projections"], graph_dtype)
    for key in ("txt_ids", "img_ids"):
        if key in rec:
            put(key, rec[key], np.int64)
    for key in ("image_seq_len", "mu"):
        if key in rec:
            entry[key] = rec[key]
    put("noise", noise, np.float32)
    put("initial_latents", rec["initial_latents"], np.float32)
    put("timesteps", rec["timesteps"], np.float32)
    put("sigmas", rec["sigmas"], np.float32)
    entry["transformer_step0"] = sdx.golden_call(writer, p + ".transformer_step0", rec["transformer_step0"])
    for i, latents in enumerate(rec["latents"]):
        put("latents_step%d" % i, latents, np.float32)
    if "unpacked_latents" in rec:
        put("unpacked_latents", rec["unpacked_latents"], np.float32)
    put("vae_input", rec["vae_input"], np.float32)
    entry["vae_decoder_call"] = sdx.golden_call(writer, p + ".vae_decoder", rec["vae_decoder"])
    put("image", rec["image"], np.float32)
    put("image_uint8", rec["image_uint8"], np.uint8)
    entry["tensors"] = t
    return entry


def write_t5_cases(out, tok):
    packio.write_json(os.path.join(out, "golden", "t5-cases.json"), golden_cases(tok))


def per_graph_goldens(writer, graphs, names, encoder, image, enc_dtype):
    """One recorded call of each graph (the last one: the smallest case), and the VAE encoder on
    the decoded image of that call."""
    for g in names:
        writer.index["graphs"][g] = sdx.golden_call(writer, g, graphs[g].calls[-1])
    with torch.no_grad():
        params = encoder(torch.from_numpy(image.astype(np.float32))).numpy()
    writer.graph("vae_encoder", [("sample", image, enc_dtype)], [("latent_parameters", params, enc_dtype)])


# ---------------------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------------------

def write_sd3(out_root, bpe, tok):
    out = os.path.join(out_root, "tiny-sd3")
    shutil.rmtree(out, ignore_errors=True)
    c1, c2, c3, tcfg, vcfg = SD3_TEXT_ENCODER, SD3_TEXT_ENCODER_2, SD3_TEXT_ENCODER_3, SD3_TRANSFORMER, SD3_VAE
    te1 = sdx._seeded(3101, lambda: ClipTextModelWithProjection(c1["hidden_size"], c1["num_hidden_layers"],
                                                                c1["num_attention_heads"], "quick_gelu",
                                                                c1["projection_dim"]))
    te2 = sdx._seeded(3102, lambda: ClipTextModelWithProjection(c2["hidden_size"], c2["num_hidden_layers"],
                                                                c2["num_attention_heads"], "gelu",
                                                                c2["projection_dim"]))
    te3 = sdx._seeded(3103, lambda: T5Encoder(c3["vocab_size"], c3["d_model"], c3["num_layers"], c3["num_heads"],
                                              c3["d_ff"], c3["relative_attention_max_distance"]))
    tr = sdx._seeded(3104, lambda: TinySD3Transformer(tcfg))
    dec = sdx._seeded(3105, lambda: TinyVaeDecoder(16, 16, 4))
    enc = sdx._seeded(3106, lambda: TinyVaeEncoder(16, 16, 4, mean_only=False))

    n1 = ["text_embeds", "last_hidden_state"] + ["hidden_states.%d" % i for i in range(c1["num_hidden_layers"] + 1)]
    n2 = ["text_embeds", "last_hidden_state"] + ["hidden_states.%d" % i for i in range(c2["num_hidden_layers"] + 1)]
    d1 = {n: c1["hidden_size"] for n in n1}
    d2 = {n: c2["hidden_size"] for n in n2}
    models = {
        "text_encoder": export_clip(te1, os.path.join(out, "text_encoder", "model.onnx"), n1, False, d1),
        "text_encoder_2": export_clip(te2, os.path.join(out, "text_encoder_2", "model.onnx"), n2, False, d2),
        "text_encoder_3": export_t5(te3, os.path.join(out, "text_encoder_3", "model.onnx"), False, c3["d_model"]),
        "transformer": export_sd3_transformer(tr, os.path.join(out, "transformer", "model.onnx"), tcfg,
                                              77 + T5_MAX_LENGTH),
    }
    models["vae_decoder"], models["vae_encoder"] = export_vae16(dec, enc, out, False)

    sdx.write_config(os.path.join(out, "model_index.json"), SD3_MODEL_INDEX)
    sdx.write_config(os.path.join(out, "scheduler", "scheduler_config.json"), SD3_SCHEDULER)
    for folder, cfg in (("text_encoder", c1), ("text_encoder_2", c2), ("text_encoder_3", c3),
                        ("transformer", tcfg), ("vae_decoder", vcfg), ("vae_encoder", vcfg)):
        sdx.write_config(os.path.join(out, folder, "config.json"), cfg)
    sdx.write_tokenizer(os.path.join(out, "tokenizer"), bpe, "<|endoftext|>", None, True)
    sdx.write_tokenizer(os.path.join(out, "tokenizer_2"), bpe, "!", None, True)
    tok.write(os.path.join(out, "tokenizer_3"))
    packio.write_json(os.path.join(out, "inkflow.json"), inkflow_json(
        "Tiny random-weight SD3-Medium-layout export for tests: fp32, 128 px, FlowMatch Euler shift 3, "
        "T5 cut to %d tokens; draws noise, not pictures." % T5_MAX_LENGTH, 7.0, 15.0))

    f32 = np.float32
    graphs = {
        "text_encoder": Graph(te1, ["input_ids"], {"input_ids": np.int64}, n1, f32),
        "text_encoder_2": Graph(te2, ["input_ids"], {"input_ids": np.int64}, n2, f32),
        "text_encoder_3": Graph(te3, ["input_ids"], {"input_ids": np.int64}, ["last_hidden_state"], f32),
        "transformer": Graph(tr, ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep"],
                             {k: f32 for k in ("hidden_states", "encoder_hidden_states", "pooled_projections",
                                               "timestep")}, ["out_hidden_states"], f32),
        "vae_decoder": Graph(dec, ["latent_sample"], {"latent_sample": f32}, ["sample"], f32),
        "layers_1": c1["num_hidden_layers"],
        "layers_2": c2["num_hidden_layers"],
        "joint_attention_dim": tcfg["joint_attention_dim"],
    }
    common = {"max_sequence_length": T5_MAX_LENGTH}
    cases = [
        ("cfg-negative-2images", dict(common, prompt="a photo of a cat", negative_prompt="blurry, low quality",
                                      guidance_scale=7.0, num_inference_steps=4, num_images=2, height=128,
                                      width=128, seed=31)),
        ("no-cfg", dict(common, prompt="A RED circle, on a blue background!", negative_prompt=None,
                        guidance_scale=1.0, num_inference_steps=2, num_images=1, height=64, width=64, seed=32)),
        ("no-t5-zeros", dict(common, prompt="a sign that says \"OPEN\"", negative_prompt=None, guidance_scale=7.0,
                             num_inference_steps=2, num_images=1, height=64, width=64, seed=33,
                             text_encoder_3=False)),
    ]
    writer = packio.GoldenWriter(out)
    entries = []
    for name, case in cases:
        noise = sdx._noise(case["seed"], (case["num_images"], 16, case["height"] // 8, case["width"] // 8))
        rec = ref.run_sd3(graphs, bpe, tok, ref.FlowMatchEuler(_effective(SD3_SCHEDULER)), case, noise, vcfg)
        entries.append(golden_case(writer, name, case, rec, noise, f32))
    per_graph_goldens(writer, graphs, ["text_encoder", "text_encoder_2", "text_encoder_3", "transformer",
                                       "vae_decoder"], enc, graphs["vae_decoder"].calls[-1][1]["sample"], f32)
    writer.case("fixture", {
        "pipeline": "StableDiffusion3Pipeline", "dtype": "float32",
        "timestep": "float32 [batch] = scheduler t (sigma * 1000), axis name 'step'",
        "scheduler": _effective(SD3_SCHEDULER), "scaling_factor": vcfg["scaling_factor"],
        "shift_factor": vcfg["shift_factor"], "vae_scale_factor": 8, "t5MaxLength": T5_MAX_LENGTH,
        "prompt_embeds": "concat(pad(concat(text_encoder hidden_states.%d, text_encoder_2 hidden_states.%d), %d), "
                         "text_encoder_3 last_hidden_state) along the sequence: 77 + %d rows"
                         % (c1["num_hidden_layers"] - 1, c2["num_hidden_layers"] - 1, tcfg["joint_attention_dim"],
                            T5_MAX_LENGTH),
        "pooled_projections": "concat(text_encoder text_embeds, text_encoder_2 text_embeds)",
        "text_encoder_3_absent": "zeros [images, t5MaxLength, joint_attention_dim] in place of the T5 states",
        "not_covered": "clip_skip, skip-layer guidance, num_images_per_prompt > 1 with a list of prompts"})
    writer.case("cases", entries)
    writer.write()
    write_t5_cases(out, tok)
    return out, models


def write_flux(out_root, bpe, tok, dev=False):
    """tiny-flux (schnell, fp16 I/O) or, with ``dev``, tiny-flux-dev (fp32 I/O, a guidance input, dynamic
    shifting)."""
    out = os.path.join(out_root, "tiny-flux-dev" if dev else "tiny-flux")
    shutil.rmtree(out, ignore_errors=True)
    c1, c2, tcfg, vcfg = FLUX_TEXT_ENCODER, FLUX_TEXT_ENCODER_2, FLUX_TRANSFORMER, FLUX_VAE
    scheduler_cfg = FLUX_DEV_SCHEDULER if dev else FLUX_SCHEDULER
    fp16 = not dev
    if dev:
        tcfg = dict(tcfg, guidance_embeds=True)
    seed0 = 4200 if dev else 4100
    te1 = sdx._seeded(seed0 + 1, lambda: ClipTextModel(c1["hidden_size"], c1["num_hidden_layers"],
                                                  c1["num_attention_heads"], "quick_gelu", hidden_states=False))
    te2 = sdx._seeded(seed0 + 2, lambda: T5Encoder(c2["vocab_size"], c2["d_model"], c2["num_layers"], c2["num_heads"],
                                              c2["d_ff"], c2["relative_attention_max_distance"]))
    tr = sdx._seeded(seed0 + 3, lambda: TinyFluxTransformer(tcfg))
    dec = sdx._seeded(seed0 + 4, lambda: TinyVaeDecoder(16, 16, 4))
    enc = sdx._seeded(seed0 + 5, lambda: TinyVaeEncoder(16, 16, 4, mean_only=False))
    if fp16:
        for m in (te1, te2, tr, dec, enc):
            packio.round_fp16(m)  # the fp32 twin of the fp16-stored weights

    n1 = ["last_hidden_state", "pooler_output"]
    models = {
        "text_encoder": export_clip(te1, os.path.join(out, "text_encoder", "model.onnx"), n1, fp16,
                                    {n: c1["hidden_size"] for n in n1}),
        "text_encoder_2": export_t5(te2, os.path.join(out, "text_encoder_2", "model.onnx"), fp16, c2["d_model"]),
        "transformer": export_flux_transformer(tr, os.path.join(out, "transformer", "model.onnx"), tcfg, fp16),
    }
    models["vae_decoder"], models["vae_encoder"] = export_vae16(dec, enc, out, fp16)

    sdx.write_config(os.path.join(out, "model_index.json"), FLUX_MODEL_INDEX)
    sdx.write_config(os.path.join(out, "scheduler", "scheduler_config.json"), scheduler_cfg)
    for folder, cfg in (("text_encoder", c1), ("text_encoder_2", c2), ("transformer", tcfg),
                        ("vae_decoder", vcfg), ("vae_encoder", vcfg)):
        sdx.write_config(os.path.join(out, folder, "config.json"), cfg)
    sdx.write_tokenizer(os.path.join(out, "tokenizer"), bpe, "<|endoftext|>", None, True)
    tok.write(os.path.join(out, "tokenizer_2"))
    if dev:
        packio.write_json(os.path.join(out, "inkflow.json"), inkflow_json(
            "Tiny random-weight FLUX.1-dev-layout export for tests: fp32, 128 px, packed latents, a guidance "
            "input, dynamic shifting, T5 cut to %d tokens; draws noise, not pictures." % T5_MAX_LENGTH, 3.5, 10.0))
    else:
        packio.write_json(os.path.join(out, "inkflow.json"), inkflow_json(
            "Tiny random-weight FLUX.1-schnell-layout export for tests: fp16 inputs and outputs, 128 px, packed "
            "latents, no guidance input, T5 cut to %d tokens; draws noise, not pictures." % T5_MAX_LENGTH, 0.0, 1.0))

    f16 = np.float16 if fp16 else np.float32
    floats = ("hidden_states", "encoder_hidden_states", "pooled_projections", "timestep") + (
        ("guidance",) if dev else ())
    graphs = {
        "text_encoder": Graph(te1, ["input_ids"], {"input_ids": np.int64}, n1, f16),
        "text_encoder_2": Graph(te2, ["input_ids"], {"input_ids": np.int64}, ["last_hidden_state"], f16),
        "transformer": Graph(tr, list(floats[:4]) + ["img_ids", "txt_ids"] + list(floats[4:]),
                             dict({k: f16 for k in floats}, img_ids=np.int64, txt_ids=np.int64),
                             ["out_hidden_states"], f16),
        "vae_decoder": Graph(dec, ["latent_sample"], {"latent_sample": f16}, ["sample"], f16),
    }
    vae = dict(vcfg, vae_scale_factor=2 ** (len(vcfg["block_out_channels"]) - 1))
    common = {"max_sequence_length": T5_MAX_LENGTH, "guidance_scale": 3.5 if dev else 0.0,
              "num_inference_steps": 3 if dev else 2, "num_images": 1}
    cases = [
        ("dev-3steps-2images", dict(common, prompt="a photo of a cat", height=128, width=96, seed=51,
                                    num_images=2)),
    ] if dev else [
        ("schnell-2steps", dict(common, prompt="a photo of a cat", height=128, width=128, seed=41)),
        ("schnell-96x128", dict(common, prompt="A RED circle, on a blue background!", height=96, width=128,
                                seed=42)),
    ]
    writer = packio.GoldenWriter(out)
    entries = []
    for name, case in cases:
        h = 2 * (case["height"] // 16)
        w = 2 * (case["width"] // 16)
        noise = sdx._noise(case["seed"], (case["num_images"], 16, h, w))
        rec = ref.run_flux(graphs, bpe, tok, ref.FlowMatchEuler(_effective(scheduler_cfg)), case, noise, vae,
                           tcfg["guidance_embeds"])
        entries.append(golden_case(writer, name, case, rec, noise, f16))
    per_graph_goldens(writer, graphs, ["text_encoder", "text_encoder_2", "transformer", "vae_decoder"], enc,
                      graphs["vae_decoder"].calls[-1][1]["sample"], f16)
    writer.case("fixture", {
        "pipeline": "FluxPipeline",
        "variant": "dev (guidance_embeds true: a guidance input; dynamic shifting)" if dev
        else "schnell (guidance_embeds false: no guidance input)",
        "dtype": "float16 graph inputs and outputs" if fp16 else "float32",
        "timestep": ("float16" if fp16 else "float32") + " [batch] = t / 1000 (the transformer multiplies by 1000 inside), axis name 'step'",
        "ids": "img_ids [packed_height_width, 3], txt_ids [sequence_length, 3], int64 (diffusers >= 0.31.0 "
               "exports; Optimum casts the pipeline's float ids to the graph's type)",
        "scheduler": _effective(scheduler_cfg), "scaling_factor": vcfg["scaling_factor"],
        "shift_factor": vcfg["shift_factor"], "vae_scale_factor": vae["vae_scale_factor"],
        "default_size": "FluxPipeline.default_sample_size 128 * vae_scale_factor 8 = 1024 px (the cases draw 128 px)",
        "t5MaxLength": T5_MAX_LENGTH,
        "prompt_embeds": "text_encoder_2 last_hidden_state", "pooled_projections": "text_encoder pooler_output",
        "not_covered": ("" if dev else "guidance (dev), ") + "true CFG (negative prompt with true_cfg_scale > 1)"})
    writer.case("cases", entries)
    writer.write()
    write_t5_cases(out, tok)
    return out, models


def _effective(published):
    """FlowMatchEulerDiscreteScheduler.from_config(published): class defaults for the keys the file lacks."""
    cfg = {"num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": False, "base_shift": 0.5,
           "max_shift": 1.15, "base_image_seq_len": 256, "max_image_seq_len": 4096, "invert_sigmas": False,
           "shift_terminal": None, "use_karras_sigmas": False, "use_exponential_sigmas": False,
           "use_beta_sigmas": False, "time_shift_type": "exponential", "stochastic_sampling": False}
    cfg.update({k: v for k, v in published.items() if not k.startswith("_")})
    return cfg


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "infra", "models"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the same reductions, so the same bytes, on every run
    bpe = ClipBpe(sdx.CLIP_MERGES)
    print("clip tokenizer: %d reference cases reproduced" % check_cases(
        bpe, os.path.join(sdx.CLIP_REF, "tokenizer-cases.json")))
    print("flow-match port matches diffusers: " + ", ".join(ref.verify_flow_match(sdx.SCHED_REF)))
    print("sd3 encode_prompt assembly matches diffusers: " + ", ".join(ref.verify_sd3_assembly(PIPE_REF)))
    print("sd3 call glue matches diffusers: " + ", ".join(ref.verify_sd3_call(PIPE_REF)))
    print("flux glue matches diffusers: " + ", ".join(ref.verify_flux(PIPE_REF)))
    work = tempfile.mkdtemp(prefix="inkflow-t5-")
    try:
        spiece = os.path.join(work, "spiece.model")
        train(spiece, vocab_size=T5_VOCAB)
        tok = T5Spm(spiece)
        print("t5 tokenizer: %d pieces + %d extra ids" % (len(tok.pieces), tok.vocab_size - len(tok.pieces)))
        for writer in (write_sd3, write_flux, lambda o, b, t: write_flux(o, b, t, dev=True)):
            out, models = writer(args.out, bpe, tok)
            print(os.path.relpath(out, REPO))
            for name, model in models.items():
                print("\n".join(sdx.describe(model, name)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
