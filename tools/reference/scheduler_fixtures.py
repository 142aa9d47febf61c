"""Reference fixtures for the Swift schedulers (Tests/SchedulersTests), from diffusers 0.42.1.

Run from the repository root:

    .venv-reference/bin/python tools/reference/scheduler_fixtures.py

Writes Tests/SchedulersTests/Fixtures/schedulers.json and schedulers.safetensors (~0.3 MB):

schedulers.json
    configs.{variant}       the raw scheduler_config.json text each variant decodes from (SD 1.5's
                            PNDM config, plus one changed key per variation)
    samplers                {name: {"class": short name for makeScheduler, "eta": DDIM eta}}
    cases                   [{"variant", "sampler", "counts": [...], "loop": bool}]
    latent_seed, step_seed, loop_steps, latent_shape
    training                [{"variant", "timesteps": [...]}]

schedulers.safetensors
    {variant}/{sampler}/timesteps/{n}     scheduler.timesteps after set_timesteps(n) (int64 or float32)
    {variant}/{sampler}/sigmas/{n}        scheduler.sigmas (float32), where the scheduler has them
    {variant}/{sampler}/init_noise_sigma/{n}   float(scheduler.init_noise_sigma), float64 scalar
    {variant}/{sampler}/latents           initial latents: randn(seed) * init_noise_sigma
    {variant}/{sampler}/sample/{i}        the sample after loop step i
    {variant}/{sampler}/x0/{i}            pred_original_sample of step i, where diffusers returns one
    train/{variant}/betas, alphas_cumprod
    train/{variant}/x0, noise, timesteps, noisy, velocity, snr
    numpy_log/in, numpy_log/out           np.log on float32 (this machine's numpy SIMD kernel)

Schedulers are built the way a Stable Diffusion pipeline builds them: the PNDM config loaded first and
each sampler made with `Class.from_config(pndm.config)`. diffusers records which keys the JSON left out
(`_use_default_values`) and from_config gives those the target class's own defaults, so SD 1.5's
file (no timestep_spacing) samples with "leading" in DDPM/DDIM but "linspace" in Euler and DPM-Solver. The sampling loop follows
StableDiffusionPipeline: latents = randn_tensor(shape, generator) * init_noise_sigma, then per t:
scale_model_input, model, step(..., generator=step generator). The fake model is
model_output = 0.3 * tanh(x) + 0.01 * float(t) / 1000, recomputed identically in Swift.
"""

import json
import os

import diffusers
import numpy as np
import torch
from diffusers import (
    DDIMScheduler,
    DDPMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    PNDMScheduler,
)
from safetensors.torch import save_file

OUT_DIR = os.path.join("Tests", "SchedulersTests", "Fixtures")
LATENT_SHAPE = [1, 4, 8, 8]
LATENT_SEED = 42
STEP_SEED = 1234
LOOP_STEPS = 5
COUNTS = [1, 5, 7, 20, 50]

SD15 = {
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
VARIANTS = {
    "sd15": SD15,
    "leading": {**SD15, "timestep_spacing": "leading"},
    "trailing": {**SD15, "timestep_spacing": "trailing"},
    "linspace": {**SD15, "timestep_spacing": "linspace"},
    "vpred": {**SD15, "prediction_type": "v_prediction"},
    "sigma_min": {**SD15, "final_sigmas_type": "sigma_min"},
    "cosine": {**SD15, "beta_schedule": "squaredcos_cap_v2"},
    "linear": {**SD15, "beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02},
}

# name -> (class, extra config, short name for makeScheduler, DDIM eta)
SAMPLERS = {
    "ddpm": (DDPMScheduler, {}, "ddpm", 0.0),
    "ddim": (DDIMScheduler, {}, "ddim", 0.0),
    "ddim_eta": (DDIMScheduler, {}, "ddim", 0.5),
    "euler": (EulerDiscreteScheduler, {}, "euler", 0.0),
    "euler_karras": (EulerDiscreteScheduler, {"use_karras_sigmas": True}, "euler", 0.0),
    "euler_a": (EulerAncestralDiscreteScheduler, {}, "euler_a", 0.0),
    "dpmpp_2m": (DPMSolverMultistepScheduler, {}, "dpmpp_2m", 0.0),
    "dpmpp_2m_karras": (DPMSolverMultistepScheduler, {"use_karras_sigmas": True}, "dpmpp_2m_karras", 0.0),
    "dpmpp_2m_heun": (DPMSolverMultistepScheduler, {"solver_type": "heun"}, "DPMSolverMultistepScheduler", 0.0),
}

# (variant, samplers, run the sampling loop)
ALL = list(SAMPLERS)
CASES = [
    ("sd15", ALL, True),
    ("trailing", ALL, True),
    ("vpred", ALL, True),
    ("leading", ["euler", "euler_karras", "euler_a", "dpmpp_2m", "dpmpp_2m_karras"], True),
    ("linspace", ["ddpm", "ddim"], True),
    ("sigma_min", ["euler", "euler_karras", "dpmpp_2m", "dpmpp_2m_karras"], True),
    ("cosine", ["ddim", "euler", "euler_karras", "dpmpp_2m", "dpmpp_2m_karras"], False),
    ("linear", ["ddim", "euler", "dpmpp_2m_karras"], False),
]
TRAIN_VARIANTS = ["sd15", "cosine", "linear"]
TRAIN_TIMESTEPS = [0, 1, 250, 500, 998, 999]


def make(variant, sampler):
    cls, extra, _, _ = SAMPLERS[sampler]
    # The pipeline way: the stored PNDM config (with PNDM's registered defaults), then from_config.
    pndm = PNDMScheduler.from_config(VARIANTS[variant])
    config = dict(pndm.config)
    for key in ("prediction_type", "timestep_spacing", "final_sigmas_type"):
        if key in VARIANTS[variant]:
            config[key] = VARIANTS[variant][key]
    return cls.from_config({**config, **extra})


def fake_model(x, t):
    return 0.3 * torch.tanh(x) + 0.01 * float(t) / 1000


def main():
    assert diffusers.__version__ == "0.42.1", diffusers.__version__
    assert torch.__version__.startswith("2.13.0"), torch.__version__
    tensors = {}
    cases = []
    for variant, samplers, loop in CASES:
        for sampler in samplers:
            case = {"variant": variant, "sampler": sampler, "counts": COUNTS, "loop": loop}
            for n in COUNTS:
                s = make(variant, sampler)
                s.set_timesteps(n)
                prefix = f"{variant}/{sampler}"
                tensors[f"{prefix}/timesteps/{n}"] = s.timesteps.clone()
                if hasattr(s, "sigmas") and isinstance(s.sigmas, torch.Tensor):
                    tensors[f"{prefix}/sigmas/{n}"] = s.sigmas.clone()
                # In the tensors, not the JSON: Foundation's JSONSerialization on Linux misreads some
                # float64 literals in the last bits.
                tensors[f"{prefix}/init_noise_sigma/{n}"] = torch.tensor(float(s.init_noise_sigma), dtype=torch.float64)
            if loop:
                run_loop(variant, sampler, tensors)
            cases.append(case)

    training = []
    for variant in TRAIN_VARIANTS:
        s = DDPMScheduler.from_config(PNDMScheduler.from_config(VARIANTS[variant]).config)
        g = torch.Generator().manual_seed(7)
        n = len(TRAIN_TIMESTEPS)
        x0 = torch.randn([n, 4, 8, 8], generator=g)
        noise = torch.randn([n, 4, 8, 8], generator=g)
        timesteps = torch.tensor(TRAIN_TIMESTEPS, dtype=torch.int64)
        p = f"train/{variant}"
        tensors[f"{p}/betas"] = s.betas.clone()
        tensors[f"{p}/alphas_cumprod"] = s.alphas_cumprod.clone()
        tensors[f"{p}/x0"] = x0
        tensors[f"{p}/noise"] = noise
        tensors[f"{p}/timesteps"] = timesteps
        tensors[f"{p}/noisy"] = s.add_noise(x0, noise, timesteps)
        tensors[f"{p}/velocity"] = s.get_velocity(x0, noise, timesteps)
        tensors[f"{p}/snr"] = diffusers.training_utils.compute_snr(s, timesteps)
        training.append({"variant": variant, "timesteps": TRAIN_TIMESTEPS})

    # numpy's float32 log on the SD 1.5 and cosine sigmas plus a spread of magnitudes (denormals too).
    logs_in = []
    for variant in ("sd15", "cosine"):
        s = make(variant, "euler")
        logs_in.append(np.array(((1 - s.alphas_cumprod) / s.alphas_cumprod) ** 0.5, dtype=np.float32))
    rng = np.random.RandomState(3)
    logs_in.append((10.0 ** rng.uniform(-44, 38, 2000)).astype(np.float32))
    logs_in = np.concatenate(logs_in)
    logs_in = logs_in[logs_in > 0]
    tensors["numpy_log/in"] = torch.from_numpy(logs_in.copy())
    tensors["numpy_log/out"] = torch.from_numpy(np.log(logs_in))

    os.makedirs(OUT_DIR, exist_ok=True)
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    save_file(tensors, os.path.join(OUT_DIR, "schedulers.safetensors"))
    meta = {
        "diffusers": diffusers.__version__,
        "numpy": np.__version__,
        "configs": {k: json.dumps(v) for k, v in VARIANTS.items()},
        "samplers": {k: {"class": v[2], "eta": v[3], "extra": v[1]} for k, v in SAMPLERS.items()},
        "cases": cases,
        "training": training,
        "latent_seed": LATENT_SEED,
        "step_seed": STEP_SEED,
        "loop_steps": LOOP_STEPS,
        "latent_shape": LATENT_SHAPE,
    }
    with open(os.path.join(OUT_DIR, "schedulers.json"), "w") as f:
        json.dump(meta, f, indent=1)


def run_loop(variant, sampler, tensors):
    s = make(variant, sampler)
    eta = SAMPLERS[sampler][3]
    s.set_timesteps(LOOP_STEPS)
    latents = torch.randn(LATENT_SHAPE, generator=torch.Generator().manual_seed(LATENT_SEED)) * s.init_noise_sigma
    prefix = f"{variant}/{sampler}"
    tensors[f"{prefix}/latents"] = latents.clone()
    generator = torch.Generator().manual_seed(STEP_SEED)
    for i, t in enumerate(s.timesteps):
        model_input = s.scale_model_input(latents, t)
        output = fake_model(model_input, t)
        kwargs = {"eta": eta} if isinstance(s, DDIMScheduler) else {}
        result = s.step(output, t, latents, generator=generator, **kwargs)
        latents = result.prev_sample
        tensors[f"{prefix}/sample/{i}"] = latents.clone()
        x0 = getattr(result, "pred_original_sample", None)
        if x0 is not None:
            tensors[f"{prefix}/x0/{i}"] = x0.clone()


if __name__ == "__main__":
    main()
