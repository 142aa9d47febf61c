"""Reference fixture for adaptive projected guidance (Tests/StableDiffusionTests/AdaptiveProjectedGuidanceTests.swift).

Run from the repository root with the reference environment, after pipeline_fixtures.py (it reuses its tiny
pipeline folder and latents):

    .venv-reference/bin/python tools/reference/pipeline_apg_fixtures.py

diffusers 0.42 has APG only as a guider of its modular pipelines (`AdaptiveProjectedGuidance`, whose arithmetic is
`normalized_guidance`), not in StableDiffusionPipeline; so the sampling loop below is StableDiffusionPipeline's own
(encode_prompt, set_timesteps, init_noise_sigma, scale_model_input, [uncond, cond] through the UNet, scheduler.step,
decode), checked against StableDiffusionPipeline itself with plain guidance, and only the guidance line calls
diffusers' `normalized_guidance` with its `MomentumBuffer` (new per run, as the guider makes it at step 0).

Writes Tests/StableDiffusionTests/Fixtures/pipe_apg.safetensors:
    apg.image              DDIM, 5 steps, CFG 7.5, negative prompt, the latents ddim.latents of pipe_runs.safetensors,
                           APG eta 0.3, momentum -0.5, norm threshold NORM_THRESHOLD (output_type="pt" range [0, 1])
    direct.uncond.K, direct.cond.K, direct.out.K (K = 0, 1, 2)
                           three steps of normalized_guidance(cond, uncond, 7.5, buffer, eta 0.3, threshold 6) with
                           one MomentumBuffer(-0.5) on random [2, 4, 8, 8] tensors (seed 9); image 0's update norm is
                           above the threshold, image 1's below
    direct.zero.out        normalized_guidance(cond, cond, 7.5, None, 0.3, 6): a zero update (0 / 0 in the cap)
"""
import pathlib
import sys

sys.modules["torchvision"] = None  # its wheel does not import with torch 2.13; nothing here needs it

import torch
from diffusers import StableDiffusionPipeline
from diffusers.guiders.adaptive_projected_guidance import MomentumBuffer, normalized_guidance
from safetensors.torch import load_file, save_file

OUT = pathlib.Path("Tests/StableDiffusionTests/Fixtures")
PROMPT = "a woman, in a brown jacket, blonde hair"
NEGATIVE = "blurry"
GUIDANCE = 7.5
ETA, MOMENTUM, NORM_THRESHOLD = 0.3, -0.5, 1.5


def sample(pipe, latents, guide):
    cond, uncond = pipe.encode_prompt(PROMPT, "cpu", 1, True, NEGATIVE)
    embeddings = torch.cat([uncond, cond])
    pipe.scheduler.set_timesteps(5)
    latents = latents.clone() * pipe.scheduler.init_noise_sigma
    norms = []
    for t in pipe.scheduler.timesteps:
        model_input = pipe.scheduler.scale_model_input(torch.cat([latents] * 2), t)
        noise_uncond, noise_cond = pipe.unet(model_input, t, encoder_hidden_states=embeddings).sample.chunk(2)
        norms.append((noise_cond - noise_uncond).norm().item())
        noise = guide(noise_cond, noise_uncond)
        latents = pipe.scheduler.step(noise, t, latents).prev_sample
    image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor).sample
    return (image / 2 + 0.5).clamp(0, 1), norms


def main():
    pipe = StableDiffusionPipeline.from_pretrained(OUT / "pipe_tiny", safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    runs_in = load_file(OUT / "pipe_runs.safetensors")
    latents = runs_in["ddim.latents"]
    runs = {}
    with torch.no_grad():
        plain, norms = sample(pipe, latents, lambda c, u: u + GUIDANCE * (c - u))
        # The loop is the pipeline's: with plain guidance it gives StableDiffusionPipeline's image.
        reference = pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=5, guidance_scale=GUIDANCE, height=16,
                         width=16, latents=latents.clone(), output_type="pt").images
        assert torch.equal(plain, reference), (plain - reference).abs().max()
        # The threshold must bite on some steps and not on others (the update norms per step are printed).
        print("update norms per step:", [round(n, 3) for n in norms])
        assert min(norms) < NORM_THRESHOLD < max(norms)
        buffer = MomentumBuffer(MOMENTUM)
        runs["apg.image"], _ = sample(pipe, latents, lambda c, u: normalized_guidance(c, u, GUIDANCE, buffer, ETA,
                                                                                      NORM_THRESHOLD))
        assert (runs["apg.image"] - plain).abs().max() > 0.01

    g = torch.Generator().manual_seed(9)
    buffer = MomentumBuffer(MOMENTUM)
    for k in range(3):
        cond = torch.randn(2, 4, 8, 8, generator=g)
        uncond = cond + torch.randn(2, 4, 8, 8, generator=g) * torch.tensor([3.0, 0.1]).view(2, 1, 1, 1)
        runs[f"direct.uncond.{k}"], runs[f"direct.cond.{k}"] = uncond, cond
        runs[f"direct.out.{k}"] = normalized_guidance(cond, uncond, GUIDANCE, buffer, ETA, 6.0)
    runs["direct.zero.out"] = normalized_guidance(cond, cond, GUIDANCE, None, ETA, 6.0)
    save_file({k: v.contiguous() for k, v in runs.items()}, OUT / "pipe_apg.safetensors")
    print("wrote pipe_apg.safetensors")


if __name__ == "__main__":
    main()
