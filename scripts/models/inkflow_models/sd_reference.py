"""Reference text-to-image pipeline for the tiny SD / SDXL fixtures, written from diffusers' own code
(commit 58eb52c0803ea9af3abec60841c2a093bdf1f951, the snapshot of testdata/reference/diffusers-*):

* ``EulerDiscrete``: schedulers/scheduling_euler_discrete.py, ``__init__`` betas/alphas_cumprod
  (lines 229-266), ``init_noise_sigma`` (278-291), ``scale_model_input`` (326-348), ``set_timesteps``
  for linspace/leading/trailing + linear interpolation + final sigma zero (405-481), ``step`` with
  s_churn = 0 and prediction_type epsilon (740-792). Float32 where diffusers is float32 (torch
  tensors), float64 where it is numpy float64 (np.interp), in the same order.
* ``run_sd``: pipelines/stable_diffusion/pipeline_stable_diffusion.py ``encode_prompt`` (lines
  332-512: tokenizer padding max_length 77, ``prompt_embeds[0]`` = last_hidden_state, negative ""
  when absent, repeat per image, ``[negative, positive]`` concat at 978), ``prepare_latents``
  (694-714: noise * init_noise_sigma), the loop (1037-1059: ``torch.cat([latents] * 2)``,
  ``scale_model_input``, ``chunk(2)`` and ``u + g * (c - u)``) and decode (1085:
  ``latents / scaling_factor``).
* ``run_sdxl``: pipelines/stable_diffusion_xl/pipeline_stable_diffusion_xl.py ``encode_prompt``
  (283-520: ``hidden_states[-2]`` of both encoders concatenated, pooled = ``text_encoder_2``
  output[0] (text_embeds), ``force_zeros_for_empty_prompt`` at 422-425, ``negative_prompt or ""``),
  ``_get_add_time_ids`` (729-745), the CFG batching of embeds, text_embeds and time_ids (1130-1155),
  the loop (1202-1229) and decode (1274-1285 without latents_mean/std).

The networks are called through ``Graph`` objects that see exactly what an ONNX Runtime caller
sees: inputs converted to the graph's input dtypes (float16 for the fp16 fixture) and outputs in
the graph's output dtypes, converted to float32 for the glue. The glue itself (scheduler, CFG,
unscale) is float32 like diffusers' fp32 pipeline. The uint8 image is inkflow's VaeDecoder.toByte:
``(int)(clamp(v * 0.5f + 0.5f, 0, 1) * 255f + 0.5f)`` in float32 (diffusers' numpy_to_pil rounds
half to even instead; the two differ only on exact .5 ties).
"""

import numpy as np
import torch


class EulerDiscrete:
    """EulerDiscreteScheduler for the keys these fixtures use (epsilon, linear interpolation,
    final_sigmas_type zero, no Karras/exponential/beta sigmas, s_churn 0)."""

    def __init__(self, config):
        self.config = config
        n = config["num_train_timesteps"]
        assert config["beta_schedule"] == "scaled_linear"
        assert config.get("prediction_type", "epsilon") == "epsilon"
        self.betas = torch.linspace(config["beta_start"] ** 0.5, config["beta_end"] ** 0.5, n,
                                    dtype=torch.float32) ** 2
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        self.timesteps = None
        self.sigmas = None

    def set_timesteps(self, steps):
        cfg = self.config
        n = cfg["num_train_timesteps"]
        spacing = cfg.get("timestep_spacing", "linspace")
        if spacing == "linspace":
            timesteps = np.linspace(0, n - 1, steps, dtype=np.float32)[::-1].copy()
        elif spacing == "leading":
            ratio = n // steps
            timesteps = (np.arange(0, steps) * ratio).round()[::-1].copy().astype(np.float32)
            timesteps += cfg.get("steps_offset", 0)
        elif spacing == "trailing":
            ratio = n / steps
            timesteps = np.arange(n, 0, -ratio).round().copy().astype(np.float32)
            timesteps -= 1
        else:
            raise ValueError(spacing)
        sigmas = np.array(((1 - self.alphas_cumprod) / self.alphas_cumprod) ** 0.5)
        sigmas = np.interp(timesteps, np.arange(0, len(sigmas)), sigmas)
        sigmas = np.concatenate([sigmas, [0]]).astype(np.float32)
        self.sigmas = torch.from_numpy(sigmas).to(dtype=torch.float32)
        self.timesteps = torch.from_numpy(timesteps.astype(np.float32))

    @property
    def init_noise_sigma(self):
        max_sigma = self.sigmas.max()
        if self.config.get("timestep_spacing", "linspace") in ["linspace", "trailing"]:
            return max_sigma
        return (max_sigma ** 2 + 1) ** 0.5

    def scale_model_input(self, sample, index):
        sigma = self.sigmas[index]
        return sample / ((sigma ** 2 + 1) ** 0.5)

    def step(self, model_output, index, sample):
        sample = sample.to(torch.float32)
        sigma = self.sigmas[index]
        gamma = 0.0
        sigma_hat = sigma * (gamma + 1)
        pred_original_sample = sample - sigma_hat * model_output
        derivative = (sample - pred_original_sample) / sigma_hat
        dt = self.sigmas[index + 1] - sigma_hat
        prev_sample = sample + derivative * dt
        return prev_sample.to(model_output.dtype), pred_original_sample


class Graph:
    """A torch module seen through its ONNX signature: named inputs in the graph's dtypes, named
    outputs in the graph's dtypes. Every call is recorded (name -> numpy array)."""

    def __init__(self, module, input_names, input_dtypes, output_names, output_dtype):
        self.module = module
        self.input_names = input_names
        self.input_dtypes = input_dtypes
        self.output_names = output_names
        self.output_dtype = output_dtype
        self.calls = []

    def __call__(self, **feeds):
        arrays = {k: np.ascontiguousarray(np.asarray(feeds[k]).astype(self.input_dtypes[k]))
                  for k in self.input_names if k in feeds}
        args = [torch.from_numpy(arrays[k].astype(np.float32) if arrays[k].dtype == np.float16
                                 else arrays[k]) for k in self.input_names if k in arrays]
        with torch.no_grad():
            out = self.module(*args)
        if isinstance(out, torch.Tensor):
            out = (out,)
        outputs = {n: o.numpy().astype(self.output_dtype) for n, o in zip(self.output_names, out)}
        self.calls.append((arrays, outputs))
        return {n: v.astype(np.float32) for n, v in outputs.items()}


def to_uint8(image):
    """inkflow VaeDecoder.toByte, float32: (int)(clamp(v * 0.5f + 0.5f, 0, 1) * 255f + 0.5f)."""
    u = image.astype(np.float32) * np.float32(0.5) + np.float32(0.5)
    u = np.clip(u, np.float32(0), np.float32(1))
    return np.floor(u * np.float32(255) + np.float32(0.5)).astype(np.uint8)


def _timestep_feed(t, convention):
    if convention == "rank1-int64":
        return np.array([t.item()], dtype=np.float32).astype(np.int64)  # np.array([t], int64)
    return np.array(t.item(), dtype=np.float32)  # rank 0, converted to the graph's float type


def _denoise(rec, unet, scheduler, noise, steps, guidance, embeds, convention, extra=None):
    """prepare_latents + the denoising loop shared by both pipelines. ``extra``: SDXL's
    text_embeds/time_ids, already CFG-batched."""
    cfg = guidance > 1.0
    scheduler.set_timesteps(steps)
    latents = torch.from_numpy(noise) * scheduler.init_noise_sigma
    rec["init_noise_sigma"] = float(scheduler.init_noise_sigma)
    rec["timesteps"] = scheduler.timesteps.numpy().copy()
    rec["sigmas"] = scheduler.sigmas.numpy().copy()
    rec["initial_latents"] = latents.numpy().copy()
    for i, t in enumerate(scheduler.timesteps):
        model_input = torch.cat([latents] * 2) if cfg else latents
        model_input = scheduler.scale_model_input(model_input, i)
        feeds = {"sample": model_input.numpy(), "timestep": _timestep_feed(t, convention),
                 "encoder_hidden_states": embeds}
        if extra:
            feeds.update(extra)
        noise_pred = torch.from_numpy(unet(**feeds)["out_sample"])
        if i == 0:
            arrays, outputs = unet.calls[-1]
            rec["unet_step0"] = (arrays, outputs)
        if cfg:
            uncond, text = noise_pred.chunk(2)
            noise_pred = uncond + guidance * (text - uncond)
        latents, _ = scheduler.step(noise_pred, i, latents)
        rec.setdefault("latents", []).append(latents.numpy().copy())
    return latents


def run_sd(graphs, bpe, scheduler, case, noise, scaling_factor, convention):
    """StableDiffusionPipeline.__call__ for one prompt, ``num_images`` images."""
    te, unet, vae = graphs["text_encoder"], graphs["unet"], graphs["vae_decoder"]
    n = case["num_images"]
    guidance = case["guidance_scale"]
    rec = {"input_ids": np.array([bpe.ids77(case["prompt"], bpe.eot)], dtype=np.int64)}
    out = te(input_ids=rec["input_ids"])
    rec["text_encoder.cond"] = te.calls[-1]
    prompt_embeds = np.repeat(out["last_hidden_state"], n, axis=0)
    if guidance > 1.0:
        negative = case.get("negative_prompt") or ""
        rec["negative_input_ids"] = np.array([bpe.ids77(negative, bpe.eot)], dtype=np.int64)
        neg = te(input_ids=rec["negative_input_ids"])
        rec["text_encoder.uncond"] = te.calls[-1]
        prompt_embeds = np.concatenate([np.repeat(neg["last_hidden_state"], n, axis=0), prompt_embeds])
    rec["prompt_embeds"] = prompt_embeds
    latents = _denoise(rec, unet, scheduler, noise, case["num_inference_steps"], guidance,
                       prompt_embeds, convention)
    return _decode(rec, vae, latents, scaling_factor)


def _decode(rec, vae, latents, scaling_factor):
    vae_input = latents / scaling_factor
    rec["vae_input"] = vae_input.numpy().copy()
    image = vae(latent_sample=rec["vae_input"])["sample"]
    rec["vae_decoder"] = vae.calls[-1]
    rec["image"] = image
    rec["image_uint8"] = to_uint8(image)
    return rec


def get_add_time_ids(original_size, crops_coords_top_left, target_size):
    return np.array([list(original_size + crops_coords_top_left + target_size)], dtype=np.float32)


def _encode_sdxl(graphs, bpe, text, rec, key):
    te1, te2 = graphs["text_encoder"], graphs["text_encoder_2"]
    ids1 = np.array([bpe.ids77(text, bpe.eot)], dtype=np.int64)  # tokenizer: pad <|endoftext|>
    ids2 = np.array([bpe.ids77(text, 0)], dtype=np.int64)  # tokenizer_2: pad "!" = 0
    o1 = te1(input_ids=ids1)
    o2 = te2(input_ids=ids2)
    rec[key + ".input_ids"] = ids1
    rec[key + ".input_ids_2"] = ids2
    rec["text_encoder." + key] = te1.calls[-1]
    rec["text_encoder_2." + key] = te2.calls[-1]
    h1 = o1["hidden_states.%d" % (graphs["layers_1"] - 1)]  # hidden_states[-2]
    h2 = o2["hidden_states.%d" % (graphs["layers_2"] - 1)]
    return np.concatenate([h1, h2], axis=-1), o2["text_embeds"]


def run_sdxl(graphs, bpe, scheduler, case, noise, scaling_factor, convention, force_zeros):
    """StableDiffusionXLPipeline.__call__ for one prompt, one image."""
    guidance = case["guidance_scale"]
    rec = {}
    embeds, pooled = _encode_sdxl(graphs, bpe, case["prompt"], rec, "cond")
    negative = case.get("negative_prompt")
    cfg = guidance > 1.0
    if cfg and negative is None and force_zeros:
        neg_embeds, neg_pooled = np.zeros_like(embeds), np.zeros_like(pooled)
        rec["negative_zeros"] = True
    elif cfg:
        neg_embeds, neg_pooled = _encode_sdxl(graphs, bpe, negative or "", rec, "uncond")
        rec["negative_zeros"] = False
    h, w = case["height"], case["width"]
    time_ids = get_add_time_ids(tuple(case.get("original_size") or (h, w)),
                                tuple(case.get("crops_coords_top_left", (0, 0))),
                                tuple(case.get("target_size") or (h, w)))
    if cfg:
        embeds = np.concatenate([neg_embeds, embeds])
        pooled = np.concatenate([neg_pooled, pooled])
        time_ids = np.concatenate([time_ids, time_ids])  # negative sizes absent: the positive ids
    rec["prompt_embeds"] = embeds
    rec["text_embeds"] = pooled
    rec["time_ids"] = time_ids
    latents = _denoise(rec, graphs["unet"], scheduler, noise, case["num_inference_steps"], guidance,
                       embeds, convention, {"text_embeds": pooled, "time_ids": time_ids})
    return _decode(rec, graphs["vae_decoder"], latents, scaling_factor)
