"""Write tiny random-weight Stable Diffusion folders laid out like ``optimum-cli export onnx``.

    /usr/bin/python3 scripts/models/make_sd_exports.py [--out infra/models]

Writes, byte-reproducibly (fixed seeds, one torch thread, deterministic export at opset 17):
  infra/models/tiny-sd/    StableDiffusionPipeline (SD 1.5 layout), fp32, UNet with external data,
                           timestep rank 1 int64 (Optimum <= 1.23), vae_encoder -> latent_sample
  infra/models/tiny-sdxl/  StableDiffusionXLPipeline (SDXL base layout), fp16 inputs and outputs,
                           timestep rank 0 float16 (Optimum >= 1.24), vae_encoder -> latent_parameters
each with the published config files' keys (values shrunk), CLIP tokenizer folders, inkflow.json
and golden/ tensors from the reference pipeline (inkflow_models/sd_reference.py).
Sources: scripts/models/sd_exports_notes.md.
"""

import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from inkflow_models import packio, sd_reference  # noqa: E402
from inkflow_models.clip_bpe import ClipBpe, check_cases  # noqa: E402
from inkflow_models.sd_tiny import (ClipTextModel, ClipTextModelWithProjection, TinyUNet,  # noqa: E402
                                    TinyVaeDecoder, TinyVaeEncoder)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REPO_REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "testdata", "reference")
CLIP_REF = os.path.join(REPO_REFERENCE, "clip")
SCHED_REF = os.path.join(REPO_REFERENCE, "diffusers-schedulers")
CLIP_MERGES = os.environ.get("INKFLOW_CLIP_MERGES", os.path.join(CLIP_REF, "bpe_simple_vocab_16e6.txt.gz"))

# ---------------------------------------------------------------------------------------------
# Published config files (keys verbatim; sizes shrunk). Sources in sd_exports_notes.md.
# ---------------------------------------------------------------------------------------------

SD_MODEL_INDEX = {
    "_class_name": "StableDiffusionPipeline",
    "_diffusers_version": "0.6.0",
    "feature_extractor": ["transformers", "CLIPImageProcessor"],
    "safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"],
    "scheduler": ["diffusers", "PNDMScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "UNet2DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}

SD_SCHEDULER = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}

SD_TEXT_ENCODER = {
    "_name_or_path": "openai/clip-vit-large-patch14",
    "architectures": ["CLIPTextModel"],
    "attention_dropout": 0.0,
    "bos_token_id": 0,
    "dropout": 0.0,
    "eos_token_id": 2,
    "hidden_act": "quick_gelu",
    "hidden_size": 32,  # 768
    "initializer_factor": 1.0,
    "initializer_range": 0.02,
    "intermediate_size": 128,  # 3072
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 77,
    "model_type": "clip_text_model",
    "num_attention_heads": 2,  # 12
    "num_hidden_layers": 2,  # 12
    "pad_token_id": 1,
    "projection_dim": 32,  # 768
    "torch_dtype": "float32",
    "transformers_version": "4.22.0.dev0",
    "vocab_size": 49408,
}

SD_UNET = {
    "_class_name": "UNet2DConditionModel",
    "_diffusers_version": "0.6.0",
    "act_fn": "silu",
    "attention_head_dim": 8,
    "block_out_channels": [16, 16],  # [320, 640, 1280, 1280]; two blocks = the tiny UNet's one 2x down-sampling
    "center_input_sample": False,
    "cross_attention_dim": 32,  # 768
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 1,  # 2
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 4,  # 32
    "out_channels": 4,
    "sample_size": 8,  # 64
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
}

SD_VAE = {
    "_class_name": "AutoencoderKL",
    "_diffusers_version": "0.6.0",
    "act_fn": "silu",
    "block_out_channels": [16, 16, 16, 16],  # [128, 256, 512, 512]: four blocks = 8x
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 1,  # 2
    "norm_num_groups": 4,  # 32
    "out_channels": 3,
    "sample_size": 64,  # 512
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}

SD_PREPROCESSOR = {
    "crop_size": 224,
    "do_center_crop": True,
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3,
    "size": 224,
}

SDXL_MODEL_INDEX = {
    "_class_name": "StableDiffusionXLPipeline",
    "_diffusers_version": "0.19.0.dev0",
    "force_zeros_for_empty_prompt": True,
    "add_watermarker": None,
    "scheduler": ["diffusers", "EulerDiscreteScheduler"],
    "text_encoder": ["transformers", "CLIPTextModel"],
    "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "tokenizer_2": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "UNet2DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"],
}

SDXL_SCHEDULER = {
    "_class_name": "EulerDiscreteScheduler",
    "_diffusers_version": "0.19.0.dev0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
    "use_karras_sigmas": False,
}


def _clip_text_config(architecture, act, hidden, heads, layers, projection, version):
    return {
        "architectures": [architecture],
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "dropout": 0.0,
        "eos_token_id": 2,
        "hidden_act": act,
        "hidden_size": hidden,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": 4 * hidden,
        "layer_norm_eps": 1e-05,
        "max_position_embeddings": 77,
        "model_type": "clip_text_model",
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        # written by the export: it sets output_hidden_states on SDXL's encoders before saving
        "output_hidden_states": True,
        "pad_token_id": 1,
        "projection_dim": projection,
        "torch_dtype": "float16",
        "transformers_version": version,
        "vocab_size": 49408,
    }


SDXL_TEXT_ENCODER = _clip_text_config("CLIPTextModel", "quick_gelu", 32, 2, 3, 32, "4.32.0.dev0")  # 768, 12, 12
SDXL_TEXT_ENCODER_2 = _clip_text_config("CLIPTextModelWithProjection", "gelu", 48, 3, 3, 32,
                                        "4.32.0.dev0")  # 1280, 20, 32, 1280

SDXL_UNET = {
    "_class_name": "UNet2DConditionModel",
    "_diffusers_version": "0.19.0.dev0",
    "act_fn": "silu",
    "addition_embed_type": "text_time",
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": 8,  # 256
    "attention_head_dim": [8],  # [5, 10, 20]
    "block_out_channels": [16, 16],  # [320, 640, 1280]; two blocks = the tiny UNet's one 2x down-sampling
    "center_input_sample": False,
    "class_embed_type": None,
    "class_embeddings_concat": False,
    "conv_in_kernel": 3,
    "conv_out_kernel": 3,
    "cross_attention_dim": 80,  # 2048 = 768 + 1280; here 32 + 48
    "cross_attention_norm": None,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "dual_cross_attention": False,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 1,  # 2
    "mid_block_only_cross_attention": None,
    "mid_block_scale_factor": 1,
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "norm_eps": 1e-05,
    "norm_num_groups": 4,  # 32
    "num_attention_heads": None,
    "num_class_embeds": None,
    "only_cross_attention": False,
    "out_channels": 4,
    "projection_class_embeddings_input_dim": 80,  # 2816 = 6 * 256 + 1280; here 6 * 8 + 32
    "resnet_out_scale_factor": 1.0,
    "resnet_skip_time_act": False,
    "resnet_time_scale_shift": "default",
    "sample_size": 16,  # 128
    "time_cond_proj_dim": None,
    "time_embedding_act_fn": None,
    "time_embedding_dim": None,
    "time_embedding_type": "positional",
    "timestep_post_act": None,
    "transformer_layers_per_block": [1],  # [1, 2, 10]
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "upcast_attention": None,
    "use_linear_projection": True,
}

SDXL_VAE = {
    "_class_name": "AutoencoderKL",
    "_diffusers_version": "0.18.0.dev0",
    "act_fn": "silu",
    "block_out_channels": [16, 16, 16, 16],  # [128, 256, 512, 512]
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "force_upcast": True,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 1,  # 2
    "norm_num_groups": 4,  # 32
    "out_channels": 3,
    "sample_size": 128,  # 1024
    "scaling_factor": 0.13025,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}


def _added_token(content):
    return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True,
            "rstrip": False, "single_word": False}


def _special_token(content):
    return {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def tokenizer_files(pad, name_or_path, clean_up):
    config = {"add_prefix_space": False, "bos_token": _added_token("<|startoftext|>")}
    if clean_up:
        config["clean_up_tokenization_spaces"] = True
    config.update({
        "do_lower_case": True,
        "eos_token": _added_token("<|endoftext|>"),
        "errors": "replace",
        "model_max_length": 77,
    })
    if name_or_path:
        config["name_or_path"] = name_or_path
    config["pad_token"] = pad
    if not clean_up:
        config["special_tokens_map_file"] = "./special_tokens_map.json"
    config["tokenizer_class"] = "CLIPTokenizer"
    config["unk_token"] = _added_token("<|endoftext|>")
    special = {
        "bos_token": _special_token("<|startoftext|>"),
        "eos_token": _special_token("<|endoftext|>"),
        "pad_token": pad if pad == "<|endoftext|>" else _special_token(pad),
        "unk_token": _special_token("<|endoftext|>"),
    }
    return config, special


def write_config(path, document, sort=True):
    """diffusers' to_json_string and transformers' to_json_string: indent 2, sorted keys, newline."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(document, indent=2, sort_keys=sort) + "\n")


def write_tokenizer(folder, bpe, pad, name_or_path, clean_up):
    os.makedirs(folder, exist_ok=True)
    bpe.write_vocab(os.path.join(folder, "vocab.json"))
    bpe.write_merges(os.path.join(folder, "merges.txt"))
    config, special = tokenizer_files(pad, name_or_path, clean_up)
    write_config(os.path.join(folder, "tokenizer_config.json"), config)
    write_config(os.path.join(folder, "special_tokens_map.json"), special)


# ---------------------------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------------------------

def _seeded(seed, factory):
    torch.manual_seed(seed)
    module = factory()
    module.eval()
    return module


def _save(model, path, external_data=False):
    """onnx.save, or Optimum's external-data call (convert.py: location model.onnx_data, one file,
    size_threshold 100, convert_attribute True)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = path + "_data"
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing data file
    if external_data:
        onnx.save(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=os.path.basename(data), size_threshold=100, convert_attribute=True)
    else:
        onnx.save(model, path)


def export_graph(module, args, path, inputs, outputs, dynamic_axes, output_shapes, fp16, external_data=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".fp32.tmp"
    model = packio.export(module, args, tmp, inputs, outputs, dynamic_axes, output_shapes)
    os.remove(tmp)
    if fp16:
        model = packio.wrap_fp16(model)
    model.producer_name = "pytorch"
    _save(model, path, external_data)
    check = onnx.load(path)
    onnx.checker.check_model(path if external_data else check)
    return check


def text_axes(names):
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"}}
    shapes = {}
    for n in names:
        if n in ("pooler_output", "text_embeds"):
            axes[n] = {0: "batch_size"}
        else:
            axes[n] = {0: "batch_size", 1: "sequence_length"}
    return axes, shapes


def export_text_encoder(module, path, names, fp16, dim_of):
    ids = torch.full((2, 77), 49407, dtype=torch.int64)
    ids[:, 0] = 49406
    ids[:, 1:4] = torch.tensor([320, 1125, 539])
    axes, _ = text_axes(names)
    shapes = {n: (["batch_size", dim_of(n)] if n in ("pooler_output", "text_embeds")
                  else ["batch_size", "sequence_length", dim_of(n)]) for n in names}
    return export_graph(module, (ids,), path, ["input_ids"], names, axes, shapes, fp16)


def export_unet(module, path, cfg, timestep_convention, fp16, external_data):
    b, s = 2, cfg["sample_size"]
    sample = torch.randn(b, 4, s, s)
    if timestep_convention == "rank1-int64":
        timestep = torch.tensor([501], dtype=torch.int64)
        t_axes = {0: "steps"}
    else:
        timestep = torch.tensor(501.0)
        t_axes = {}
    ehs = torch.randn(b, 77, cfg["cross_attention_dim"])
    names = ["sample", "timestep", "encoder_hidden_states"]
    args = [sample, timestep, ehs]
    axes = {"sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"}}
    if t_axes:
        axes["timestep"] = t_axes
    if cfg.get("addition_embed_type") == "text_time":
        text_dim = cfg["projection_class_embeddings_input_dim"] - 6 * cfg["addition_time_embed_dim"]
        args += [torch.randn(b, text_dim), torch.tensor([[128.0, 128, 0, 0, 128, 128]] * b)]
        names += ["text_embeds", "time_ids"]
        axes["text_embeds"] = {0: "batch_size"}
        axes["time_ids"] = {0: "batch_size"}
    shapes = {"out_sample": ["batch_size", 4, "height", "width"]}
    return export_graph(module, tuple(args), path, names, ["out_sample"], axes, shapes, fp16, external_data)


def export_vae(decoder, encoder, out, encoder_output, fp16):
    s = 8
    dec = export_graph(decoder, (torch.randn(1, 4, s, s),), os.path.join(out, "vae_decoder", "model.onnx"),
                       ["latent_sample"], ["sample"],
                       {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
                        "sample": {0: "batch_size", 2: "latent_height * 8", 3: "latent_width * 8"}},
                       {"sample": ["batch_size", 3, "latent_height * 8", "latent_width * 8"]}, fp16)
    channels = 4 if encoder_output == "latent_sample" else 8
    enc = export_graph(encoder, (torch.randn(1, 3, 8 * s, 8 * s),), os.path.join(out, "vae_encoder", "model.onnx"),
                       ["sample"], [encoder_output],
                       {"sample": {0: "batch_size", 2: "sample_height", 3: "sample_width"},
                        encoder_output: {0: "batch_size", 2: "sample_height / 8", 3: "sample_width / 8"}},
                       {encoder_output: ["batch_size", channels, "sample_height / 8", "sample_width / 8"]}, fp16)
    return dec, enc


# ---------------------------------------------------------------------------------------------
# Golden tensors
# ---------------------------------------------------------------------------------------------

def _dtype(array):
    return {np.dtype(np.float32): np.float32, np.dtype(np.float16): np.float16,
            np.dtype(np.int64): np.int64, np.dtype(np.uint8): np.uint8}[np.asarray(array).dtype]


def golden_call(writer, prefix, call):
    arrays, outputs = call
    return {
        "inputs": [writer.tensor(prefix, k, v, _dtype(v)) for k, v in arrays.items()],
        "outputs": [writer.tensor(prefix, k, v, _dtype(v)) for k, v in outputs.items()],
    }


def golden_case(writer, name, case, rec, noise, graph_dtype):
    p = "case-" + name
    entry = {"name": name}
    entry.update({k: v for k, v in case.items()})
    t = {}

    def put(key, array, dtype=None):
        t[key] = writer.tensor(p, key, array, dtype or _dtype(array))

    for key in ("input_ids", "negative_input_ids", "cond.input_ids", "cond.input_ids_2",
                "uncond.input_ids", "uncond.input_ids_2"):
        if key in rec:
            put(key, rec[key])
    calls = {}
    for key in sorted(k for k in rec if k.startswith("text_encoder")):
        calls[key] = golden_call(writer, p + "." + key, rec[key])
    entry["text_encoder_calls"] = calls
    if "negative_zeros" in rec:
        entry["negative_zeros"] = rec["negative_zeros"]
    put("prompt_embeds", rec["prompt_embeds"], graph_dtype)
    for key in ("text_embeds", "time_ids"):
        if key in rec:
            put(key, rec[key], graph_dtype)
    put("noise", noise, np.float32)
    entry["init_noise_sigma"] = rec["init_noise_sigma"]
    put("initial_latents", rec["initial_latents"], np.float32)
    put("timesteps", rec["timesteps"], np.float32)
    put("sigmas", rec["sigmas"], np.float32)
    entry["unet_step0"] = golden_call(writer, p + ".unet_step0", rec["unet_step0"])
    for i, latents in enumerate(rec["latents"]):
        put("latents_step%d" % i, latents, np.float32)
    put("vae_input", rec["vae_input"], np.float32)
    entry["vae_decoder_call"] = golden_call(writer, p + ".vae_decoder", rec["vae_decoder"])
    put("image", rec["image"], np.float32)
    put("image_uint8", rec["image_uint8"], np.uint8)
    entry["tensors"] = t
    return entry


def _noise(seed, shape):
    """Standard normal float32 from a seeded torch generator. Stored: Java loads it."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=generator, dtype=torch.float32).numpy()


def verify_euler():
    """Replay diffusers' own EulerDiscreteScheduler runs with the port: schedules and every step
    bit for bit."""
    checked = []
    for ref_id in ("sd15_euler_leading", "sd15_euler_trailing", "sd21_euler_vpred_linspace"):
        with open(os.path.join(SCHED_REF, ref_id + ".json")) as f:
            ref = json.load(f)
        with open(os.path.join(SCHED_REF, ref["bin_file"]), "rb") as f:
            blob = f.read()

        def tensor(r):
            return np.frombuffer(blob, dtype="<f4", count=r["count"], offset=r["offset"]).reshape(r["shape"])

        cfg = dict(ref["effective_config"])
        vpred = cfg["prediction_type"] == "v_prediction"
        cfg["prediction_type"] = "epsilon"
        for run in ref["runs"]:
            scheduler = sd_reference.EulerDiscrete(cfg)
            scheduler.set_timesteps(run["num_inference_steps"])
            assert scheduler.timesteps.numpy().tolist() == np.float32(run["timesteps"]["values"]).tolist()
            assert scheduler.sigmas.numpy().tolist() == np.float32(run["sigmas"]["values"]).tolist()
            assert np.float32(scheduler.init_noise_sigma) == np.float32(run["init_noise_sigma"]["value"])
            if vpred:
                checked.append("%s N=%d (schedule)" % (ref_id, run["num_inference_steps"]))
                continue  # the schedule only: the port's step is epsilon
            sample = torch.from_numpy(tensor(run["initial_latent"]).copy())
            for i, step in enumerate(run["steps"]):
                scaled = scheduler.scale_model_input(sample, i)
                assert np.array_equal(scaled.numpy(), tensor(step["scaled_model_input"]))
                out, x0 = scheduler.step(torch.from_numpy(tensor(step["model_output"]).copy()), i, sample)
                assert np.array_equal(out.numpy(), tensor(step["prev_sample"])), (ref_id, i)
                assert np.array_equal(x0.numpy(), tensor(step["pred_original_sample"]))
                sample = out
            checked.append("%s N=%d" % (ref_id, run["num_inference_steps"]))
    return checked


def inkflow_json(description, class_name, other_languages):
    scheduler = {"defaultSteps": 4, "minSteps": 1, "maxSteps": 8}
    if class_name:
        scheduler = {"className": class_name, **scheduler}
    return {
        "format": 1,
        "description": description,
        "scheduler": scheduler,
        "guidance": {"default": 7.5, "min": 1.0, "max": 15.0},
        "languages": ["en"],
        "otherLanguages": other_languages,
        "glyphText": "quote",
        "promptRewrite": {"policy": "on"},
    }


def euler_config_from(published):
    """EulerDiscreteScheduler.from_config(published): the keys Euler accepts, class defaults for the
    rest (timestep_spacing defaults to linspace, prediction_type to epsilon)."""
    keys = ("num_train_timesteps", "beta_start", "beta_end", "beta_schedule", "trained_betas",
            "prediction_type", "interpolation_type", "timestep_spacing", "steps_offset")
    cfg = {"prediction_type": "epsilon", "interpolation_type": "linear", "timestep_spacing": "linspace",
           "steps_offset": 0}
    cfg.update({k: published[k] for k in keys if k in published})
    return cfg


def describe(model, name):
    lines = []
    for kind, values in (("in ", model.graph.input), ("out", model.graph.output)):
        for v in values:
            t = v.type.tensor_type
            dims = [d.dim_param or d.dim_value for d in t.shape.dim]
            lines.append("  %-14s %s %-26s %-8s %s" % (name, kind, v.name, packio._DTYPES[t.elem_type], dims))
    return lines


# ---------------------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------------------

def write_sd(out_root, bpe):
    out = os.path.join(out_root, "tiny-sd")
    shutil.rmtree(out, ignore_errors=True)
    te_cfg, unet_cfg, vae_cfg = SD_TEXT_ENCODER, SD_UNET, SD_VAE
    te = _seeded(1101, lambda: ClipTextModel(te_cfg["hidden_size"], te_cfg["num_hidden_layers"],
                                             te_cfg["num_attention_heads"], "quick_gelu", hidden_states=False))
    unet = _seeded(1102, lambda: TinyUNet(unet_cfg))
    dec = _seeded(1103, lambda: TinyVaeDecoder(4, 16, 4))
    enc = _seeded(1104, lambda: TinyVaeEncoder(4, 16, 4, mean_only=True))

    te_names = ["last_hidden_state", "pooler_output"]
    models = {}
    models["text_encoder"] = export_text_encoder(te, os.path.join(out, "text_encoder", "model.onnx"), te_names,
                                                 False, lambda n: te_cfg["hidden_size"])
    models["unet"] = export_unet(unet, os.path.join(out, "unet", "model.onnx"), unet_cfg, "rank1-int64", False, True)
    models["vae_decoder"], models["vae_encoder"] = export_vae(dec, enc, out, "latent_sample", False)

    write_config(os.path.join(out, "model_index.json"), SD_MODEL_INDEX)
    write_config(os.path.join(out, "scheduler", "scheduler_config.json"), SD_SCHEDULER)
    write_config(os.path.join(out, "text_encoder", "config.json"), te_cfg)
    write_config(os.path.join(out, "unet", "config.json"), unet_cfg)
    write_config(os.path.join(out, "vae_decoder", "config.json"), vae_cfg)
    write_config(os.path.join(out, "vae_encoder", "config.json"), vae_cfg)
    write_config(os.path.join(out, "feature_extractor", "preprocessor_config.json"), SD_PREPROCESSOR)
    write_tokenizer(os.path.join(out, "tokenizer"), bpe, "<|endoftext|>", "openai/clip-vit-large-patch14", False)
    packio.write_json(os.path.join(out, "inkflow.json"), inkflow_json(
        "Tiny random-weight SD 1.5-layout export for tests: fp32, 64 px, Euler instead of the "
        "export's PNDM; draws noise, not pictures.", "EulerDiscreteScheduler", "refuse"))

    f32 = np.float32
    graphs = {
        "text_encoder": sd_reference.Graph(te, ["input_ids"], {"input_ids": np.int64}, te_names, f32),
        "unet": sd_reference.Graph(unet, ["sample", "timestep", "encoder_hidden_states"],
                                   {"sample": f32, "timestep": np.int64, "encoder_hidden_states": f32},
                                   ["out_sample"], f32),
        "vae_decoder": sd_reference.Graph(dec, ["latent_sample"], {"latent_sample": f32}, ["sample"], f32),
    }
    euler = euler_config_from(SD_SCHEDULER)
    scaling = 0.18215  # AutoencoderKL default: SD 1.5's vae config has no scaling_factor key
    s = unet_cfg["sample_size"]
    cases = [
        ("cfg-negative-2images", {"prompt": "a photo of a cat", "negative_prompt": "blurry, low quality",
                                  "guidance_scale": 7.5, "num_inference_steps": 4, "num_images": 2,
                                  "height": 8 * s, "width": 8 * s, "seed": 1}),
        ("no-cfg", {"prompt": "A RED circle, on a blue background!", "negative_prompt": None,
                    "guidance_scale": 1.0, "num_inference_steps": 4, "num_images": 1,
                    "height": 8 * s, "width": 8 * s, "seed": 2}),
    ]
    writer = packio.GoldenWriter(out)
    entries = []
    for name, case in cases:
        noise = _noise(case["seed"], (case["num_images"], 4, s, s))
        rec = sd_reference.run_sd(graphs, bpe, sd_reference.EulerDiscrete(euler), case, noise, scaling, "rank1-int64")
        entries.append(golden_case(writer, name, case, rec, noise, f32))
    # per-graph goldens: the first call of each graph (case 1), and the encoder on that case's image
    writer.index["graphs"]["text_encoder"] = golden_call(writer, "text_encoder", graphs["text_encoder"].calls[0])
    writer.index["graphs"]["unet"] = golden_call(writer, "unet", graphs["unet"].calls[0])
    writer.index["graphs"]["vae_decoder"] = golden_call(writer, "vae_decoder", graphs["vae_decoder"].calls[0])
    image = graphs["vae_decoder"].calls[0][1]["sample"]
    with torch.no_grad():
        latent = enc(torch.from_numpy(image)).numpy()
    writer.graph("vae_encoder", [("sample", image, f32)], [("latent_sample", latent, f32)])
    writer.case("fixture", {
        "pipeline": "StableDiffusionPipeline", "dtype": "float32", "timestep": "rank 1 int64 [1]",
        "scheduler": euler, "scaling_factor": scaling,
        "not_covered": "clip_skip: SD 1.x exports have no hidden_states outputs (Optimum sets "
                       "output_hidden_states only for SDXL and SD3)"})
    writer.case("cases", entries)
    writer.write()
    return out, models


def write_sdxl(out_root, bpe):
    out = os.path.join(out_root, "tiny-sdxl")
    shutil.rmtree(out, ignore_errors=True)
    c1, c2, unet_cfg, vae_cfg = SDXL_TEXT_ENCODER, SDXL_TEXT_ENCODER_2, SDXL_UNET, SDXL_VAE
    te1 = _seeded(2101, lambda: ClipTextModel(c1["hidden_size"], c1["num_hidden_layers"],
                                              c1["num_attention_heads"], "quick_gelu", hidden_states=True))
    te2 = _seeded(2102, lambda: ClipTextModelWithProjection(c2["hidden_size"], c2["num_hidden_layers"],
                                                            c2["num_attention_heads"], "gelu", c2["projection_dim"]))
    unet = _seeded(2103, lambda: TinyUNet(unet_cfg))
    dec = _seeded(2104, lambda: TinyVaeDecoder(4, 16, 4))
    enc = _seeded(2105, lambda: TinyVaeEncoder(4, 16, 4, mean_only=False))
    for m in (te1, te2, unet, dec, enc):
        packio.round_fp16(m)  # the fp32 twin of the fp16-stored weights

    n1 = ["last_hidden_state", "pooler_output"] + ["hidden_states.%d" % i for i in range(c1["num_hidden_layers"] + 1)]
    n2 = ["text_embeds", "last_hidden_state"] + ["hidden_states.%d" % i for i in range(c2["num_hidden_layers"] + 1)]
    models = {}
    models["text_encoder"] = export_text_encoder(te1, os.path.join(out, "text_encoder", "model.onnx"), n1, True,
                                                 lambda n: c1["hidden_size"])
    models["text_encoder_2"] = export_text_encoder(
        te2, os.path.join(out, "text_encoder_2", "model.onnx"), n2, True,
        lambda n: c2["projection_dim"] if n == "text_embeds" else c2["hidden_size"])
    models["unet"] = export_unet(unet, os.path.join(out, "unet", "model.onnx"), unet_cfg, "rank0-float", True, False)
    models["vae_decoder"], models["vae_encoder"] = export_vae(dec, enc, out, "latent_parameters", True)

    write_config(os.path.join(out, "model_index.json"), SDXL_MODEL_INDEX)
    write_config(os.path.join(out, "scheduler", "scheduler_config.json"), SDXL_SCHEDULER)
    write_config(os.path.join(out, "text_encoder", "config.json"), c1)
    write_config(os.path.join(out, "text_encoder_2", "config.json"), c2)
    write_config(os.path.join(out, "unet", "config.json"), unet_cfg)
    write_config(os.path.join(out, "vae_decoder", "config.json"), vae_cfg)
    write_config(os.path.join(out, "vae_encoder", "config.json"), vae_cfg)
    write_tokenizer(os.path.join(out, "tokenizer"), bpe, "<|endoftext|>", None, True)
    write_tokenizer(os.path.join(out, "tokenizer_2"), bpe, "!", None, True)
    packio.write_json(os.path.join(out, "inkflow.json"), inkflow_json(
        "Tiny random-weight SDXL-layout export for tests: fp16 inputs and outputs, 128 px, the "
        "export's Euler scheduler; draws noise, not pictures.", None, "warn"))

    f16 = np.float16
    graphs = {
        "text_encoder": sd_reference.Graph(te1, ["input_ids"], {"input_ids": np.int64}, n1, f16),
        "text_encoder_2": sd_reference.Graph(te2, ["input_ids"], {"input_ids": np.int64}, n2, f16),
        "unet": sd_reference.Graph(unet, ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"],
                                   {k: f16 for k in ("sample", "timestep", "encoder_hidden_states", "text_embeds",
                                                     "time_ids")}, ["out_sample"], f16),
        "vae_decoder": sd_reference.Graph(dec, ["latent_sample"], {"latent_sample": f16}, ["sample"], f16),
        "layers_1": c1["num_hidden_layers"],
        "layers_2": c2["num_hidden_layers"],
    }
    euler = euler_config_from(SDXL_SCHEDULER)
    scaling = vae_cfg["scaling_factor"]
    s = unet_cfg["sample_size"]
    size = 8 * s
    common = {"prompt": "a photo of a cat", "num_inference_steps": 4, "num_images": 1, "height": size,
              "width": size, "original_size": [size, size], "crops_coords_top_left": [0, 0],
              "target_size": [size, size]}
    cases = [
        ("cfg-negative-absent-zeros", dict(common, negative_prompt=None, guidance_scale=5.0, seed=11)),
        ("cfg-negative-empty-encoded", dict(common, negative_prompt="", guidance_scale=5.0, seed=12)),
        ("no-cfg", dict(common, negative_prompt=None, guidance_scale=1.0, seed=13)),
    ]
    writer = packio.GoldenWriter(out)
    entries = []
    for name, case in cases:
        noise = _noise(case["seed"], (case["num_images"], 4, s, s))
        run_case = dict(case, original_size=tuple(case["original_size"]),
                        crops_coords_top_left=tuple(case["crops_coords_top_left"]),
                        target_size=tuple(case["target_size"]))
        rec = sd_reference.run_sdxl(graphs, bpe, sd_reference.EulerDiscrete(euler), run_case, noise, scaling,
                                    "rank0-float", SDXL_MODEL_INDEX["force_zeros_for_empty_prompt"])
        entries.append(golden_case(writer, name, case, rec, noise, f16))
    for g in ("text_encoder", "text_encoder_2", "unet", "vae_decoder"):
        writer.index["graphs"][g] = golden_call(writer, g, graphs[g].calls[0])
    image = graphs["vae_decoder"].calls[0][1]["sample"]
    with torch.no_grad():
        params = enc(torch.from_numpy(image.astype(np.float32))).numpy()
    writer.graph("vae_encoder", [("sample", image, f16)], [("latent_parameters", params, f16)])
    writer.case("fixture", {
        "pipeline": "StableDiffusionXLPipeline", "dtype": "float16 graph inputs and outputs",
        "timestep": "rank 0 float16", "scheduler": euler, "scaling_factor": scaling,
        "prompt_embeds": "concat(text_encoder hidden_states.%d, text_encoder_2 hidden_states.%d)"
                         % (c1["num_hidden_layers"] - 1, c2["num_hidden_layers"] - 1),
        "pooled": "text_encoder_2 text_embeds"})
    writer.case("cases", entries)
    writer.write()
    return out, models


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "infra", "models"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the same reductions, so the same bytes, on every run
    bpe = ClipBpe(CLIP_MERGES)
    print("tokenizer: %d reference cases reproduced" % check_cases(bpe, os.path.join(CLIP_REF, "tokenizer-cases.json")))
    print("euler port matches diffusers: " + ", ".join(verify_euler()))
    for writer in (write_sd, write_sdxl):
        out, models = writer(args.out, bpe)
        print(os.path.relpath(out, REPO))
        for name, model in models.items():
            print("\n".join(describe(model, name)))


if __name__ == "__main__":
    main()
