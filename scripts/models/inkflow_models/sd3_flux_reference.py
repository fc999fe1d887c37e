"""Reference text-to-image pipeline for the tiny SD3 / FLUX.1 fixtures, written from diffusers' own code
(commit 58eb52c0803ea9af3abec60841c2a093bdf1f951, the snapshot of testdata/reference/diffusers-*):

* ``FlowMatchEuler``: schedulers/scheduling_flow_match_euler_discrete.py ``__init__`` (lines 92-144:
  float32 training sigmas, shifted unless use_dynamic_shifting; sigma_min/max as Python floats),
  ``set_timesteps`` (283-382: float64 ``np.linspace(sigma_max * N, sigma_min * N, steps) / N`` when no
  sigmas are given, else float32 sigmas; ``time_shift`` exponential 646-647 with mu, or the static
  shift; float32 tensor, ``timesteps = sigmas * N``, a final 0) and ``step`` (423-522 with
  stochastic_sampling false: ``prev = sample + (sigma_next - sigma) * model_output`` in float32).
* ``run_sd3``: pipelines/stable_diffusion_3/pipeline_stable_diffusion_3.py ``_get_t5_prompt_embeds``
  (233-287: T5 ids padded to max_sequence_length, ``[0]`` = last_hidden_state; zeros
  ``[B*n, max_sequence_length, joint_attention_dim]`` without text_encoder_3, line 248),
  ``_get_clip_prompt_embeds`` (289-342: 77 ids, pooled = output[0] = text_embeds,
  ``hidden_states[-2]``), ``encode_prompt`` (344-535: CLIP-L/G concat, zero-pad to the T5 width,
  concat with T5 along the sequence 450-464; pooled concat 464; negatives ``negative_prompt or ""``
  506-523; repeat per image), the CFG batch ``[negative, positive]`` (994-999), ``prepare_latents``
  (633-662: unscaled noise, called at 1001-1012), ``retrieve_timesteps`` with no sigmas (1014-1042), the
  loop (1060-1130: ``torch.cat([latents] * 2)``, ``t.expand(batch)`` fed as is, ``chunk(2)``,
  ``u + g * (c - u)``) and the decode (1136: ``latents / scaling_factor + shift_factor``).
* ``run_flux``: pipelines/flux/pipeline_flux.py ``_get_t5_prompt_embeds`` (217-264),
  ``_get_clip_prompt_embeds`` (266-308: ``pooler_output``), ``encode_prompt`` (310-387: ``text_ids =
  zeros(seq, 3)``), ``_prepare_latent_image_ids`` / ``_pack_latents`` / ``_unpack_latents`` (505-541),
  ``prepare_latents`` (543-576: noise drawn unpacked then packed), ``calculate_shift`` (73-83), sigmas
  ``np.linspace(1, 1/N, N)`` and mu (820-842), guidance ``full([1], g).expand(batch)`` only with
  guidance_embeds (845-849), the loop (883-952: ``t.expand(batch).to(latents.dtype)``, ``timestep /
  1000``), and the decode (959-960).

Networks are called through ``sd_reference.Graph``: inputs in the graph's dtypes (float16 for the fp16
fixture, int64 ids), outputs in the graph's dtypes. The glue is float32 as in diffusers' fp32 pipeline;
ONNX Runtime callers (Optimum's ``_prepare_onnx_inputs``) cast the float ids to int64 and floats to
the graph's float type, which ``Graph`` reproduces.
"""

import json
import math
import os

import numpy as np
import torch

from .sd_reference import to_uint8


class FlowMatchEuler:
    """FlowMatchEulerDiscreteScheduler for the keys these fixtures use (exponential time shift, no
    Karras/exponential/beta sigmas, no shift_terminal, no inverted sigmas, deterministic steps)."""

    def __init__(self, config):
        self.config = config
        n = config["num_train_timesteps"]
        for key in ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas", "invert_sigmas",
                    "stochastic_sampling"):
            assert not config.get(key), key
        assert not config.get("shift_terminal")
        assert config.get("time_shift_type", "exponential") == "exponential"
        shift = config.get("shift", 1.0)
        timesteps = torch.from_numpy(np.linspace(1, n, n, dtype=np.float32)[::-1].copy()).to(dtype=torch.float32)
        sigmas = timesteps / n
        if not config.get("use_dynamic_shifting", False):
            sigmas = shift * sigmas / (1 + (shift - 1) * sigmas)
        self.sigma_min = sigmas[-1].item()
        self.sigma_max = sigmas[0].item()
        self.timesteps = None
        self.sigmas = None

    def set_timesteps(self, num_inference_steps=None, sigmas=None, mu=None):
        cfg = self.config
        n = cfg["num_train_timesteps"]
        if cfg.get("use_dynamic_shifting", False) and mu is None:
            raise ValueError("mu must be passed when use_dynamic_shifting is true")
        if sigmas is None:
            timesteps = np.linspace(self.sigma_max * n, self.sigma_min * n, num_inference_steps)
            sigmas = timesteps / n
        else:
            sigmas = np.array(sigmas).astype(np.float32)
        if cfg.get("use_dynamic_shifting", False):
            sigmas = math.exp(mu) / (math.exp(mu) + (1 / sigmas - 1) ** 1.0)
        else:
            shift = cfg.get("shift", 1.0)
            sigmas = shift * sigmas / (1 + (shift - 1) * sigmas)
        sigmas = torch.from_numpy(sigmas).to(dtype=torch.float32)
        self.timesteps = sigmas * n
        self.sigmas = torch.cat([sigmas, torch.zeros(1)])

    def step(self, model_output, index, sample):
        sample = sample.to(torch.float32)
        dt = self.sigmas[index + 1] - self.sigmas[index]
        return (sample + dt * model_output).to(model_output.dtype)


def calculate_shift(image_seq_len, base_seq_len=256, max_seq_len=4096, base_shift=0.5, max_shift=1.15):
    m = (max_shift - base_shift) / (max_seq_len - base_seq_len)
    b = base_shift - m * base_seq_len
    return image_seq_len * m + b


def pack_latents(latents, batch_size, channels, height, width):
    latents = latents.view(batch_size, channels, height // 2, 2, width // 2, 2)
    latents = latents.permute(0, 2, 4, 1, 3, 5)
    return latents.reshape(batch_size, (height // 2) * (width // 2), channels * 4)


def unpack_latents(latents, height, width, vae_scale_factor):
    batch_size, _, channels = latents.shape
    height = 2 * (int(height) // (vae_scale_factor * 2))
    width = 2 * (int(width) // (vae_scale_factor * 2))
    latents = latents.view(batch_size, height // 2, width // 2, channels // 4, 2, 2)
    latents = latents.permute(0, 3, 1, 4, 2, 5)
    return latents.reshape(batch_size, channels // (2 * 2), height, width)


def latent_image_ids(height, width):
    ids = torch.zeros(height, width, 3)
    ids[..., 1] = ids[..., 1] + torch.arange(height)[:, None]
    ids[..., 2] = ids[..., 2] + torch.arange(width)[None, :]
    return ids.reshape(height * width, 3)


# ---------------------------------------------------------------------------------------------
# SD3
# ---------------------------------------------------------------------------------------------

def assemble_sd3(clip_l, clip_g, t5):
    """encode_prompt lines 450-463: concat the CLIP states, zero-pad to the T5 width, concat along the
    sequence."""
    clip = np.concatenate([clip_l, clip_g], axis=-1)
    clip = np.pad(clip, ((0, 0), (0, 0), (0, t5.shape[-1] - clip.shape[-1])))
    return np.concatenate([clip, t5], axis=-2)


def _repeat(x, n):
    """repeat(1, n, ...) + view(B * n, ...): with B = 1, n copies of the row."""
    return np.concatenate([x] * n, axis=0)


def _encode_sd3(graphs, bpe, t5tok, text, n, msl, rec, key, with_t5):
    te1, te2, te3 = graphs["text_encoder"], graphs["text_encoder_2"], graphs.get("text_encoder_3")
    ids1 = np.array([bpe.ids77(text, bpe.eot)], dtype=np.int64)  # tokenizer: pad <|endoftext|>
    ids2 = np.array([bpe.ids77(text, 0)], dtype=np.int64)  # tokenizer_2: pad "!" = 0
    o1 = te1(input_ids=ids1)
    rec["text_encoder." + key] = te1.calls[-1]
    o2 = te2(input_ids=ids2)
    rec["text_encoder_2." + key] = te2.calls[-1]
    rec[key + ".input_ids"] = ids1
    rec[key + ".input_ids_2"] = ids2
    h1 = o1["hidden_states.%d" % (graphs["layers_1"] - 1)]  # hidden_states[-2]
    h2 = o2["hidden_states.%d" % (graphs["layers_2"] - 1)]
    if with_t5:
        ids3 = np.array([t5tok.padded(text, msl)], dtype=np.int64)
        t5 = te3(input_ids=ids3)["last_hidden_state"]
        rec["text_encoder_3." + key] = te3.calls[-1]
        rec[key + ".input_ids_3"] = ids3
    else:
        t5 = np.zeros((1, msl, graphs["joint_attention_dim"]), dtype=np.float32)
    embeds = assemble_sd3(h1, h2, t5)
    pooled = np.concatenate([o1["text_embeds"], o2["text_embeds"]], axis=-1)
    return _repeat(embeds, n), _repeat(pooled, n)


def run_sd3(graphs, bpe, t5tok, scheduler, case, noise, vae_cfg):
    """StableDiffusion3Pipeline.__call__ for one prompt, ``num_images`` images."""
    n = case["num_images"]
    guidance = case["guidance_scale"]
    cfg = guidance > 1
    msl = case["max_sequence_length"]
    with_t5 = case.get("text_encoder_3", True)
    rec = {}
    embeds, pooled = _encode_sd3(graphs, bpe, t5tok, case["prompt"], n, msl, rec, "cond", with_t5)
    if cfg:
        neg, neg_pooled = _encode_sd3(graphs, bpe, t5tok, case.get("negative_prompt") or "", n, msl, rec,
                                      "uncond", with_t5)
        embeds = np.concatenate([neg, embeds])
        pooled = np.concatenate([neg_pooled, pooled])
    rec["prompt_embeds"] = embeds
    rec["pooled_projections"] = pooled
    scheduler.set_timesteps(case["num_inference_steps"])
    rec["timesteps"] = scheduler.timesteps.numpy().copy()
    rec["sigmas"] = scheduler.sigmas.numpy().copy()
    latents = torch.from_numpy(noise.copy())
    rec["initial_latents"] = latents.numpy().copy()
    transformer = graphs["transformer"]
    for i, t in enumerate(scheduler.timesteps):
        model_input = torch.cat([latents] * 2) if cfg else latents
        timestep = t.expand(model_input.shape[0])
        out = transformer(hidden_states=model_input.numpy(), encoder_hidden_states=embeds,
                          pooled_projections=pooled, timestep=timestep.numpy())
        noise_pred = torch.from_numpy(out["out_hidden_states"])
        if i == 0:
            rec["transformer_step0"] = transformer.calls[-1]
        if cfg:
            uncond, text = noise_pred.chunk(2)
            noise_pred = uncond + guidance * (text - uncond)
        latents = scheduler.step(noise_pred, i, latents)
        rec.setdefault("latents", []).append(latents.numpy().copy())
    latents = (latents / vae_cfg["scaling_factor"]) + vae_cfg["shift_factor"]
    return _decode(rec, graphs["vae_decoder"], latents)


def _decode(rec, vae, vae_input):
    rec["vae_input"] = vae_input.numpy().copy()
    image = vae(latent_sample=rec["vae_input"])["sample"]
    rec["vae_decoder"] = vae.calls[-1]
    rec["image"] = image
    rec["image_uint8"] = to_uint8(image)
    return rec


# ---------------------------------------------------------------------------------------------
# FLUX.1
# ---------------------------------------------------------------------------------------------

def run_flux(graphs, bpe, t5tok, scheduler, case, noise, vae_cfg, guidance_embeds):
    """FluxPipeline.__call__ for one prompt, ``num_images`` images, no true CFG."""
    n = case["num_images"]
    msl = case["max_sequence_length"]
    te, te2 = graphs["text_encoder"], graphs["text_encoder_2"]
    rec = {}
    ids = np.array([bpe.ids77(case["prompt"], bpe.eot)], dtype=np.int64)  # tokenizer: pad <|endoftext|>
    pooled = te(input_ids=ids)["pooler_output"]
    rec["text_encoder.cond"] = te.calls[-1]
    ids2 = np.array([t5tok.padded(case["prompt"], msl)], dtype=np.int64)
    embeds = te2(input_ids=ids2)["last_hidden_state"]
    rec["text_encoder_2.cond"] = te2.calls[-1]
    rec["cond.input_ids"] = ids
    rec["cond.input_ids_2"] = ids2
    embeds, pooled = _repeat(embeds, n), _repeat(pooled, n)
    rec["prompt_embeds"] = embeds
    rec["pooled_projections"] = pooled
    text_ids = torch.zeros(embeds.shape[1], 3)
    vsf = vae_cfg["vae_scale_factor"]
    h = 2 * (int(case["height"]) // (vsf * 2))
    w = 2 * (int(case["width"]) // (vsf * 2))
    assert noise.shape == (n, 16, h, w), noise.shape
    latents = pack_latents(torch.from_numpy(noise.copy()), n, 16, h, w)
    image_ids = latent_image_ids(h // 2, w // 2)
    rec["txt_ids"] = text_ids.numpy().astype(np.int64)
    rec["img_ids"] = image_ids.numpy().astype(np.int64)
    rec["initial_latents"] = latents.numpy().copy()
    steps = case["num_inference_steps"]
    sigmas = np.linspace(1.0, 1 / steps, steps)
    seq = latents.shape[1]
    c = scheduler.config
    mu = calculate_shift(seq, c.get("base_image_seq_len", 256), c.get("max_image_seq_len", 4096),
                         c.get("base_shift", 0.5), c.get("max_shift", 1.15))
    rec["image_seq_len"] = seq
    rec["mu"] = mu
    scheduler.set_timesteps(sigmas=sigmas, mu=mu)
    rec["timesteps"] = scheduler.timesteps.numpy().copy()
    rec["sigmas"] = scheduler.sigmas.numpy().copy()
    guidance = None
    if guidance_embeds:
        guidance = torch.full([1], case["guidance_scale"], dtype=torch.float32).expand(n)
    transformer = graphs["transformer"]
    for i, t in enumerate(scheduler.timesteps):
        timestep = t.expand(latents.shape[0]).to(latents.dtype)
        feeds = {"hidden_states": latents.numpy(), "encoder_hidden_states": embeds, "pooled_projections": pooled,
                 "timestep": (timestep / 1000).numpy(), "img_ids": image_ids.numpy(), "txt_ids": text_ids.numpy()}
        if guidance is not None:
            feeds["guidance"] = guidance.numpy()
        noise_pred = torch.from_numpy(transformer(**feeds)["out_hidden_states"])
        if i == 0:
            rec["transformer_step0"] = transformer.calls[-1]
        latents = scheduler.step(noise_pred, i, latents)
        rec.setdefault("latents", []).append(latents.numpy().copy())
    unpacked = unpack_latents(latents, case["height"], case["width"], vsf)
    rec["unpacked_latents"] = unpacked.numpy().copy()
    vae_input = (unpacked / vae_cfg["scaling_factor"]) + vae_cfg["shift_factor"]
    return _decode(rec, graphs["vae_decoder"], vae_input)


# ---------------------------------------------------------------------------------------------
# Checks against diffusers' own numbers (testdata/reference)
# ---------------------------------------------------------------------------------------------

class _Ref:
    def __init__(self, folder, name):
        with open(os.path.join(folder, name)) as f:
            self.doc = json.load(f)
        with open(os.path.join(folder, self.doc["bin_file"]), "rb") as f:
            self.blob = f.read()

    def t(self, ref):
        return np.frombuffer(self.blob, dtype="<f4", count=ref["count"], offset=ref["offset"]).reshape(ref["shape"])


def verify_flow_match(sched_ref):
    """Replay sd3_flowmatch_shift3 and flux_dev_seq1024/4096: schedules and every step, bit for bit."""
    checked = []
    for ref_id in ("sd3_flowmatch_shift3", "flux_dev_seq1024", "flux_dev_seq4096"):
        ref = _Ref(sched_ref, ref_id + ".json")
        for run in ref.doc["runs"]:
            s = FlowMatchEuler(ref.doc["effective_config"])
            steps = run["num_inference_steps"]
            if s.config["use_dynamic_shifting"]:
                s.set_timesteps(sigmas=np.linspace(1.0, 1 / steps, steps), mu=run["mu"])
            else:
                s.set_timesteps(steps)
            assert s.timesteps.numpy().tolist() == np.float32(run["timesteps"]["values"]).tolist(), ref_id
            assert s.sigmas.numpy().tolist() == np.float32(run["sigmas"]["values"]).tolist(), ref_id
            sample = torch.from_numpy(ref.t(run["initial_latent"]).copy())
            for i, step in enumerate(run["steps"]):
                out = s.step(torch.from_numpy(ref.t(step["model_output"]).copy()), i, sample)
                assert np.array_equal(out.numpy(), ref.t(step["prev_sample"])), (ref_id, steps, i)
                sample = out
            checked.append("%s N=%d" % (ref_id, steps))
    return checked


def verify_sd3_assembly(pipe_ref):
    """Rebuild every sd3_encode_prompt case from the fake encoders' raw outputs with assemble_sd3 and
    compare bit for bit (T5 present, absent = zeros, clip_skip, two images, no CFG)."""
    ref = _Ref(pipe_ref, "sd3_encode_prompt.json")
    raw = ref.doc["fake_encoder_raw_outputs"]
    joint = ref.doc["joint_attention_dim (fake transformer config; used for the zero T5 block when text_encoder_3 "
                    "is None)"]
    checked = []
    for case in ref.doc["encode_prompt_cases"]:
        kw = case["encode_prompt_kwargs"]
        msl, n = kw["max_sequence_length"], kw.get("num_images_per_prompt", 1)
        skip = kw.get("clip_skip")

        def embeds(text, clip_skip):
            r = raw[text]
            layer = "hidden_states[-2]" if clip_skip is None else "hidden_states[-3] (clip_skip=1)"
            if case["text_encoder_3"] is None or case["text_encoder_3"] == "None":
                t5 = np.zeros((1, msl, joint), dtype=np.float32)
            else:
                t5 = ref.t(r["text_encoder_3.last_hidden_state (len %d)" % msl])
                assert case["text_encoder_3_input_ids"], case["id"]
            e = assemble_sd3(ref.t(r["text_encoder." + layer]), ref.t(r["text_encoder_2." + layer]), t5)
            p = np.concatenate([ref.t(r["text_encoder.text_embeds"]), ref.t(r["text_encoder_2.text_embeds"])], -1)
            return _repeat(e, n), _repeat(p, n)

        out = case["outputs"]
        e, p = embeds(kw["prompt"], skip)
        assert np.array_equal(e, ref.t(out["prompt_embeds"])), case["id"]
        assert np.array_equal(p, ref.t(out["pooled_prompt_embeds"])), case["id"]
        if kw["do_classifier_free_guidance"]:
            e, p = embeds(kw.get("negative_prompt") or "", None)  # negatives never take clip_skip
            assert np.array_equal(e, ref.t(out["negative_prompt_embeds"])), case["id"]
            assert np.array_equal(p, ref.t(out["negative_pooled_prompt_embeds"])), case["id"]
        else:
            assert out["negative_prompt_embeds"] is None
        checked.append(case["id"])
    return checked


def verify_sd3_call(pipe_ref):
    """cfg_and_decode.json sd3_call_cfg7: CFG combine of the recorded outputs, the scheduler steps and
    the unscale, bit for bit."""
    ref = _Ref(pipe_ref, "cfg_and_decode.json")
    run = [r for r in ref.doc["call_runs"] if r["id"] == "sd3_call_cfg7"][0]
    s = FlowMatchEuler(run["scheduler_effective_config"])
    s.set_timesteps(run["call_kwargs"]["num_inference_steps"])
    assert s.timesteps.numpy().tolist() == np.float32(run["scheduler_timesteps"]["values"]).tolist()
    g = run["call_kwargs"]["guidance_scale"]
    latents = torch.from_numpy(ref.t(run["initial_noise"][0]).copy())
    for i, (call, step) in enumerate(zip(run["denoiser_calls"], run["scheduler_step_calls"])):
        assert np.array_equal(ref.t(call["hidden_states"]), torch.cat([latents] * 2).numpy())
        assert np.float32(call["timestep"]["values"]).tolist() == [s.timesteps[i].item()] * 2
        uncond, text = torch.from_numpy(ref.t(call["out"]).copy()).chunk(2)
        guided = uncond + g * (text - uncond)
        assert np.array_equal(guided.numpy(), ref.t(step["model_output (guided)"]))
        latents = s.step(guided, i, latents)
        assert np.array_equal(latents.numpy(), ref.t(step["prev_sample"]))
    vae = run["vae_config"]
    assert np.array_equal(((latents / vae["scaling_factor"]) + vae["shift_factor"]).numpy(),
                          ref.t(run["vae_decode_input"]))
    return ["sd3_call_cfg7"]


def verify_flux(pipe_ref):
    """flux.json: pack/unpack/ids, calculate_shift, and every recorded __call__ run (packing of the
    noise, img_ids, zero txt_ids, timestep / 1000, guidance, steps, unpack + unscale), bit for bit."""
    ref = _Ref(pipe_ref, "flux.json")
    for case in ref.doc["pack_unpack_ids"]:
        shape = case["latents"]["shape"]
        b, c, h, w = shape
        latents = torch.arange(int(np.prod(shape)), dtype=torch.float32).reshape(shape)
        packed = pack_latents(latents, b, c, h, w)
        assert np.array_equal(packed.numpy(), ref.t(case["packed"]))
        hw = case["unpack_call"].split("height=")[1].split(",")[0], case["unpack_call"].split("width=")[1].split(",")[0]
        unpacked = unpack_latents(packed, int(hw[0]), int(hw[1]), 8)
        assert np.array_equal(unpacked.numpy(), ref.t(case["unpacked"]))
        ids = latent_image_ids(h // 2, w // 2)
        assert ids.numpy().reshape(-1).tolist() == case["latent_image_ids"]["values"]
    for case in ref.doc["calculate_shift"]["cases"]:
        assert calculate_shift(case["image_seq_len"]) == case["mu"]
    checked = []
    for run in ref.doc["call_runs"]:
        kw = run["call_kwargs"]
        s = FlowMatchEuler(run["scheduler_effective_config"])
        steps, height, width = kw["num_inference_steps"], kw["height"], kw["width"]
        noise = torch.from_numpy(ref.t(run["initial_noise"][0]).copy())
        b, c, h, w = noise.shape
        latents = pack_latents(noise, b, c, h, w)
        ids = latent_image_ids(h // 2, w // 2)
        cfg = run["scheduler_effective_config"]
        mu = calculate_shift(latents.shape[1], cfg["base_image_seq_len"], cfg["max_image_seq_len"],
                             cfg["base_shift"], cfg["max_shift"])
        s.set_timesteps(sigmas=np.linspace(1.0, 1 / steps, steps), mu=mu)
        assert s.timesteps.numpy().tolist() == np.float32(run["scheduler_timesteps"]["values"]).tolist(), run["id"]
        assert s.sigmas.numpy().tolist() == np.float32(run["scheduler_sigmas"]["values"]).tolist(), run["id"]
        calls = [x for x in run["denoiser_calls"] if x.get("context", "cond") == "cond"]
        true_cfg = kw.get("true_cfg_scale", 1.0) > 1 and "negative_prompt" in kw
        uncond = [x for x in run["denoiser_calls"] if x.get("context") == "uncond"]
        for i, step in enumerate(run["scheduler_step_calls"]):
            call = calls[i]
            assert np.array_equal(ref.t(call["hidden_states"]), latents.numpy()), (run["id"], i)
            timestep = s.timesteps[i].expand(latents.shape[0]).to(latents.dtype) / 1000
            assert np.float32(call["timestep"]["values"]).tolist() == timestep.numpy().tolist(), (run["id"], i)
            if call["guidance"] is not None:  # dev: the raw guidance_scale, float32, [batch]
                assert np.float32(call["guidance"]["values"]).tolist() == [np.float32(kw["guidance_scale"])] * b
            assert ids.numpy().reshape(-1).tolist() == call["img_ids"]["values"]
            assert call["txt_ids"]["all_zero"] and call["txt_ids"]["shape"] == [kw["max_sequence_length"], 3]
            noise_pred = torch.from_numpy(ref.t(call["out"]).copy())
            if true_cfg:
                neg = torch.from_numpy(ref.t(uncond[i]["out"]).copy())
                noise_pred = neg + kw["true_cfg_scale"] * (noise_pred - neg)
            assert np.array_equal(noise_pred.numpy(), ref.t(step["model_output (guided)"])), (run["id"], i)
            latents = s.step(noise_pred, i, latents)
            assert np.array_equal(latents.numpy(), ref.t(step["prev_sample"])), (run["id"], i)
        vae = run["vae_config"]
        unpacked = unpack_latents(latents, height, width, 2 ** (len(vae["block_out_channels"]) - 1))
        vae_input = (unpacked / vae["scaling_factor"]) + vae["shift_factor"]
        assert np.array_equal(vae_input.numpy(), ref.t(run["vae_decode_input"])), run["id"]
        checked.append(run["id"])
    return checked
